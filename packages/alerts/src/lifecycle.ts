import type { AlertEvent, Annotations, Labels } from './alert.js';

export interface LifecycleOptions {
  /** How long a condition must hold before the alert fires (Prometheus `for`). 0 fires on the first observation. */
  readonly for: number;
  /** How long a firing alert stays firing after its condition cleared (Prometheus `keep_firing_for`). */
  readonly keepFiringFor: number;
}

export type LifecycleState = 'pending' | 'firing';

/** One alert that is pending or firing. */
export interface ActiveAlert {
  readonly key: string;
  readonly state: LifecycleState;
  readonly labels: Labels;
  readonly annotations: Annotations;
  /** Event time of the first observation of this episode's condition. */
  readonly activeAt: number;
  /** Event time the alert fired; set while firing. */
  readonly firedAt?: number;
  /** Event time the condition cleared while firing; set while it is kept firing. */
  readonly clearedAt?: number;
}

interface Entry {
  state: LifecycleState;
  labels: Labels;
  annotations: Annotations;
  activeAt: number;
  firedAt: number;
  /** NaN while the condition holds. */
  clearedAt: number;
  lastObservedAt: number;
}

/**
 * Per-alert state machine of a Prometheus alerting rule, driven by event time only: inactive → pending → firing
 * once the condition has held for `for`; a firing alert whose condition clears stays firing for `keepFiringFor`
 * and then resolves; a pending alert whose condition clears goes back to inactive without a trace. Since no wall
 * clock is read, replaying the same observations yields the same events.
 *
 * Only pending and firing alerts are stored, so the many keys whose condition never holds cost nothing.
 */
export class AlertLifecycle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: LifecycleOptions) {
    for (const name of ['for', 'keepFiringFor'] as const) {
      const v = options[name];
      if (!Number.isFinite(v) || v < 0)
        throw new RangeError(`lifecycle option ${name} must be a non-negative number of ms, got ${v}`);
    }
  }

  /**
   * Records one evaluation of the condition for `key` at event time `atMs` and returns the event it causes, if any.
   *
   * `labels` and `annotations` are read only when `active` is true, so a caller evaluating many healthy keys can
   * pass shared constants for them. The labels are fixed when the episode starts (they make the fingerprint that
   * receivers deduplicate on); annotations follow the latest active observation. Observations older than the key's
   * latest are ignored: time never goes backwards for one alert.
   */
  observe(
    key: string,
    active: boolean,
    atMs: number,
    labels: Labels,
    annotations: Annotations,
  ): AlertEvent | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      if (!active) return undefined;
      const created: Entry = {
        state: 'pending',
        labels,
        annotations,
        activeAt: atMs,
        firedAt: NaN,
        clearedAt: NaN,
        lastObservedAt: atMs,
      };
      this.entries.set(key, created);
      return this.fireIfDue(created, atMs);
    }
    if (atMs < entry.lastObservedAt) return undefined;
    entry.lastObservedAt = atMs;

    if (active) {
      entry.annotations = annotations;
      entry.clearedAt = NaN;
      return entry.state === 'pending' ? this.fireIfDue(entry, atMs) : undefined;
    }
    if (entry.state === 'pending') {
      this.entries.delete(key);
      return undefined;
    }
    if (Number.isNaN(entry.clearedAt)) entry.clearedAt = atMs;
    return this.resolveIfDue(key, entry, atMs);
  }

  /**
   * Lets event time pass to `atMs` without observations (a watermark), resolving firing alerts whose keep-firing
   * period has run out. Pending alerts are left alone: firing needs an observation that the condition still holds.
   */
  advance(atMs: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.state !== 'firing' || Number.isNaN(entry.clearedAt)) continue;
      const event = this.resolveIfDue(key, entry, atMs);
      if (event) events.push(event);
    }
    return events;
  }

  /**
   * Takes up an alert that was firing when its process stopped: `event` is its last firing event, and observations of
   * `key` carry it on as if nothing had happened — it resolves, with the startsAt receivers know, only once its
   * condition is seen to clear.
   */
  restore(key: string, event: AlertEvent): void {
    const { labels, annotations, startsAt } = event;
    this.entries.set(key, {
      state: 'firing',
      labels,
      annotations,
      activeAt: startsAt,
      firedAt: startsAt,
      clearedAt: NaN,
      lastObservedAt: -Infinity,
    });
  }

  /** Whether the firing alert of `key` is counting down its keep_firing_for (its condition cleared). */
  clearing(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && !Number.isNaN(entry.clearedAt);
  }

  /** State of one key: undefined when inactive. Allocates nothing, so detectors may ask on every sample. */
  stateOf(key: string): LifecycleState | undefined {
    return this.entries.get(key)?.state;
  }

  /** Pending and firing alerts. */
  active(): ActiveAlert[] {
    const list: ActiveAlert[] = [];
    for (const [key, e] of this.entries) {
      list.push({
        key,
        state: e.state,
        labels: e.labels,
        annotations: e.annotations,
        activeAt: e.activeAt,
        ...(e.state === 'firing' ? { firedAt: e.firedAt } : {}),
        ...(Number.isNaN(e.clearedAt) ? {} : { clearedAt: e.clearedAt }),
      });
    }
    return list;
  }

  /** Number of pending and firing alerts. */
  get size(): number {
    return this.entries.size;
  }

  private fireIfDue(entry: Entry, atMs: number): AlertEvent | undefined {
    if (atMs - entry.activeAt < this.options.for) return undefined;
    entry.state = 'firing';
    entry.firedAt = atMs;
    return { labels: entry.labels, annotations: entry.annotations, status: 'firing', startsAt: atMs };
  }

  /** The alert resolves at the moment its keep-firing period ends, whenever that is noticed. */
  private resolveIfDue(key: string, entry: Entry, atMs: number): AlertEvent | undefined {
    const endsAt = entry.clearedAt + this.options.keepFiringFor;
    if (atMs < endsAt) return undefined;
    this.entries.delete(key);
    return {
      labels: entry.labels,
      annotations: entry.annotations,
      status: 'resolved',
      startsAt: entry.firedAt,
      endsAt,
    };
  }
}
