import type { Alert, AlertEvent, AlertStatus, Annotations, Labels } from '../alert.js';
import { fingerprint } from '../fingerprint.js';
import type { FlapPolicy } from '../flap.js';
import { DEFAULT_FLAP_POLICY, FLAPPING_ANNOTATION, recordEpisodeStart } from '../flap.js';
import type { StateStore } from '../state-store.js';
import { MemoryStateStore } from '../state-store.js';

/** One alert as the alerter keeps it (and persists it, as JSON). Event times except where it says wall clock. */
export interface StoredAlert {
  readonly labels: Labels;
  readonly annotations: Annotations;
  readonly generatorURL?: string;
  readonly status: AlertStatus;
  /** Start of the episode receivers are told of; while flapping, the episode in which the flapping began. */
  readonly startsAt: number;
  readonly endsAt?: number;
  /** Start of the latest episode its source reported: later than startsAt once flapping episodes are folded in. */
  readonly sourceStartsAt: number;
  /** Wall-clock ms of the last change. */
  readonly updatedAt: number;
  /** Wall-clock ms at which a firing alert posted to the API without endsAt resolves unless posted again. */
  readonly expiresAt?: number;
  /** Starts of its recent episodes, for flap detection. */
  readonly recentStarts: readonly number[];
  readonly flapping: boolean;
  /** A flapping alert's resolution, held until it has stayed clear for the quiet period (releaseAt is wall clock). */
  readonly heldResolve?: { readonly endsAt: number; readonly releaseAt: number };
}

/**
 * What an event did to the stored alert:
 * - `fired`: a new alert, or a new episode of a known one: receivers must hear of it.
 * - `started-flapping`: a new episode that made the alert flapping: receivers hear of it once, annotated.
 * - `resolved`: it stopped firing.
 * - `refreshed`: the same episode again (redelivery, a later annotation, an episode folded into a flapping alert).
 * - `held`: a flapping alert cleared; its resolution waits for the quiet period.
 * - `stale`: older than what is known; ignored.
 */
export type AlertChange = 'fired' | 'started-flapping' | 'resolved' | 'refreshed' | 'held' | 'stale';

export interface AppliedEvent {
  readonly fingerprint: string;
  readonly change: AlertChange;
  readonly alert: Alert;
}

export interface ApplyOptions {
  /** Wall-clock ms at which the firing alert resolves unless refreshed (alerts posted to the API). */
  readonly expiresAt?: number;
  /**
   * A firing event for an alert that already fires continues its episode whatever its startsAt, an earlier one too
   * (Alertmanager's merge of re-posted alerts). Without it (the alert stream) an earlier startsAt is stale.
   */
  readonly mergeWhileFiring?: boolean;
}

export interface AlertStoreOptions {
  readonly store?: StateStore<StoredAlert>;
  readonly flap?: FlapPolicy;
  /** Resolved alerts are remembered this long, so that a replayed old event cannot bring an alert back. */
  readonly retentionMs?: number;
  readonly now?: () => number;
}

/**
 * The alerts the alerter knows, by fingerprint: firing ones, and resolved ones kept for a while as tombstones. Applies
 * alert events with episode semantics (an event's startsAt names its episode, so redeliveries and replays of old
 * episodes change nothing) and flap detection, and writes every change through to the store.
 *
 * An alert that fires again while it still fires — same labels, a later startsAt — is the same episode, as
 * Alertmanager takes an alert whose labels are unchanged: its detector restarted and found it again (a source only
 * starts a new episode after resolving the last). Receivers keep the startsAt they heard, and nobody is paged twice.
 */
export class AlertStore {
  private readonly byFingerprint = new Map<string, StoredAlert>();
  /** Per alert, the end of its latest change still being stored. */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly store: StateStore<StoredAlert>;
  private readonly flap: FlapPolicy;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private firingCount = 0;

  constructor(options: AlertStoreOptions = {}) {
    this.store = options.store ?? new MemoryStateStore();
    this.flap = options.flap ?? DEFAULT_FLAP_POLICY;
    this.retentionMs = options.retentionMs ?? 120 * 3_600_000;
    this.now = options.now ?? Date.now;
  }

  async load(): Promise<void> {
    for (const [fp, stored] of await this.store.load()) this.set(fp, stored);
  }

  /** Firing alerts (a flapping alert counts while its resolution is held). */
  get size(): number {
    return this.firingCount;
  }

  get(fp: string): StoredAlert | undefined {
    return this.byFingerprint.get(fp);
  }

  fingerprints(): IterableIterator<string> {
    return this.byFingerprint.keys();
  }

  /** The alert as receivers and the API see it; a flapping one is annotated `flapping: "true"`. */
  view(fp: string): Alert | undefined {
    const s = this.byFingerprint.get(fp);
    return s === undefined ? undefined : viewOf(fp, s);
  }

  apply(event: AlertEvent, options: ApplyOptions = {}): Promise<AppliedEvent> {
    const fp = fingerprint(event.labels);
    return this.serially(fp, async () => {
      const current = this.byFingerprint.get(fp);
      const [change, next] =
        event.status === 'firing'
          ? this.fire(current, event, options)
          : this.resolve(current ?? this.unknownResolved(event), event.startsAt, event.endsAt ?? event.startsAt);
      if (next !== undefined && next !== current) await this.commit(fp, next);
      return { fingerprint: fp, change, alert: viewOf(fp, next ?? (current as StoredAlert)) };
    });
  }

  /** The wall-clock moment something is due for this alert (expiry or release of a held resolution). */
  deadline(fp: string): number | undefined {
    const s = this.byFingerprint.get(fp);
    if (s === undefined || s.status !== 'firing') return undefined;
    return s.heldResolve?.releaseAt ?? s.expiresAt;
  }

  /** Resolves the alert if its deadline has passed; undefined when nothing was due. */
  expireIfDue(fp: string): Promise<AppliedEvent | undefined> {
    return this.serially(fp, async () => {
      const s = this.byFingerprint.get(fp);
      const due = this.deadline(fp);
      if (s === undefined || due === undefined || due > this.now()) return undefined;
      let next: StoredAlert;
      if (s.heldResolve) {
        const { endsAt } = s.heldResolve;
        next = {
          ...omit(s, 'heldResolve'),
          status: 'resolved',
          endsAt,
          flapping: false,
          recentStarts: [],
          updatedAt: this.now(),
        };
      } else {
        next = this.resolve(s, s.sourceStartsAt, s.expiresAt as number)[1] as StoredAlert;
      }
      await this.commit(fp, next);
      return { fingerprint: fp, change: next.status === 'resolved' ? 'resolved' : 'held', alert: viewOf(fp, next) };
    });
  }

  /** Forgets a resolved alert (a tombstone past retention). */
  remove(fp: string): Promise<void> {
    return this.serially(fp, async () => {
      if (this.byFingerprint.has(fp)) await this.commit(fp, undefined);
    });
  }

  /** Resolved alerts last changed longer ago than the retention period. */
  expiredTombstones(): string[] {
    const cutoff = this.now() - this.retentionMs;
    return [...this.byFingerprint]
      .filter(([, s]) => s.status === 'resolved' && s.updatedAt <= cutoff)
      .map(([fp]) => fp);
  }

  private fire(
    current: StoredAlert | undefined,
    event: AlertEvent,
    options: ApplyOptions,
  ): [AlertChange, StoredAlert | undefined] {
    const now = this.now();
    const S = event.startsAt;
    const base = {
      labels: event.labels,
      annotations: event.annotations,
      ...(event.generatorURL === undefined ? {} : { generatorURL: event.generatorURL }),
      ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      status: 'firing' as const,
      updatedAt: now,
    };
    const continues =
      current?.status === 'firing' && (S >= current.sourceStartsAt || options.mergeWhileFiring === true);
    if (current !== undefined && continues) {
      const sourceStartsAt = Math.max(S, current.sourceStartsAt);
      const unchanged =
        sourceStartsAt === current.sourceStartsAt &&
        sameRecord(current.annotations, event.annotations) &&
        current.expiresAt === options.expiresAt &&
        current.generatorURL === event.generatorURL;
      return unchanged
        ? ['refreshed', current]
        : ['refreshed', { ...omit(current, 'expiresAt'), ...base, startsAt: current.startsAt, sourceStartsAt }];
    }
    if (current !== undefined && S <= current.sourceStartsAt) return ['stale', undefined];

    const { starts, flapping } = recordEpisodeStart(current?.recentStarts ?? [], S, this.flap);
    if (current?.flapping) {
      // Another episode of a flapping alert: folded into the one receivers know, and any held resolution cancelled.
      const merged = {
        ...omit(current, 'heldResolve', 'endsAt', 'expiresAt'),
        ...base,
        startsAt: current.startsAt,
        sourceStartsAt: S,
        recentStarts: starts,
      };
      return ['refreshed', merged];
    }
    const episode: StoredAlert = { ...base, startsAt: S, sourceStartsAt: S, recentStarts: starts, flapping };
    return [flapping ? 'started-flapping' : 'fired', episode];
  }

  /**
   * A resolution of an alert not (or no longer) known: kept as resolved, so that receivers whose log says they heard it
   * fire are told it resolved, and the others ignore it.
   */
  private unknownResolved(event: AlertEvent): StoredAlert {
    return {
      labels: event.labels,
      annotations: event.annotations,
      ...(event.generatorURL === undefined ? {} : { generatorURL: event.generatorURL }),
      status: 'firing',
      startsAt: event.startsAt,
      sourceStartsAt: event.startsAt,
      updatedAt: this.now(),
      recentStarts: [],
      flapping: false,
    };
  }

  private resolve(current: StoredAlert, S: number, endsAt: number): [AlertChange, StoredAlert | undefined] {
    const now = this.now();
    if (S < current.sourceStartsAt || (current.status === 'resolved' && S === current.sourceStartsAt))
      return ['stale', undefined];
    if (current.status === 'firing' && current.flapping) {
      const heldResolve = { endsAt, releaseAt: now + this.flap.quietMs };
      return ['held', { ...omit(current, 'expiresAt'), sourceStartsAt: S, heldResolve, updatedAt: now }];
    }
    // A resolution of a later episode than the one receivers heard fire closes that one too.
    return [
      'resolved',
      { ...omit(current, 'expiresAt', 'heldResolve'), status: 'resolved', endsAt, sourceStartsAt: S, updatedAt: now },
    ];
  }

  /**
   * Runs one change of an alert after the previous change of the same alert has finished (changes of different alerts
   * overlap), so each is computed from what its predecessor left.
   */
  private serially<T>(fp: string, change: () => Promise<T>): Promise<T> {
    const run = (this.writing.get(fp) ?? Promise.resolve()).then(change);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(fp, settled);
    void settled.then(() => {
      if (this.writing.get(fp) === settled) this.writing.delete(fp);
    });
    return run;
  }

  /**
   * Stores a change, then makes it the alert's state. A write that fails leaves the alert as it was: the event behind
   * it, redelivered, is applied afresh (and its receivers notified) instead of being taken for a repeat of itself.
   */
  private async commit(fp: string, next: StoredAlert | undefined): Promise<void> {
    if (next === undefined) await this.store.delete(fp);
    else await this.store.put(fp, next);
    this.set(fp, next);
  }

  private set(fp: string, next: StoredAlert | undefined): void {
    const before = this.byFingerprint.get(fp);
    if (before?.status === 'firing') this.firingCount--;
    if (next === undefined) this.byFingerprint.delete(fp);
    else {
      this.byFingerprint.set(fp, next);
      if (next.status === 'firing') this.firingCount++;
    }
  }
}

function viewOf(fp: string, s: StoredAlert): Alert {
  return {
    labels: s.labels,
    annotations: s.flapping ? { ...s.annotations, [FLAPPING_ANNOTATION]: 'true' } : s.annotations,
    status: s.status,
    startsAt: s.startsAt,
    ...(s.status === 'resolved' && s.endsAt !== undefined ? { endsAt: s.endsAt } : {}),
    ...(s.generatorURL === undefined ? {} : { generatorURL: s.generatorURL }),
    fingerprint: fp,
  };
}

function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const k of keys) delete copy[k];
  return copy;
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
