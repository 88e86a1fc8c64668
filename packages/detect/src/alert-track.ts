import { AlertLifecycle, type AlertEvent, type Annotations, type Labels, type Severity } from '@kiln/alerts';
import { grownCapacity, resized } from '@kiln/window';
import type { EmitAlert } from './detector.js';

/** Timing of a rule in event time (Prometheus `for` and `keep_firing_for`). */
export interface RuleTiming {
  readonly for_ms: number;
  readonly keep_firing_for_ms: number;
}

/** What a track's ids stand for: a GPU, a host, a rack (topology ids), or the partition (id 0). */
export type TrackScope = 'gpu' | 'host' | 'rack' | 'partition';

const NO_LABELS: Labels = {};
const NO_ANNOTATIONS: Annotations = {};

/**
 * One alert per dense id (a GPU, a host, a rack) for one rule, over an event-time AlertLifecycle. Besides the lifecycle
 * it keeps two bytes per id in typed arrays, so a detector can skip a healthy id without a map lookup or a string:
 * `engaged` (the lifecycle may hold a pending or firing alert for the id) and `held` (the condition held at the id's
 * last observation, which is what hysteresis needs).
 *
 * An id's alert lives in the lifecycle under a key of its own, not derived from the id, so that an id given to another
 * GPU (GpuRegistry.reclaimIdle) can leave a firing alert behind (`retire`) and its GPU can take it up again (`resume`).
 */
export class AlertTrack {
  private engagedIds = new Uint8Array(64);
  private heldIds = new Uint8Array(64);
  private readonly keys: (string | undefined)[] = [];
  private keysMade = 0;
  private readonly lifecycle: AlertLifecycle;

  constructor(
    readonly alertname: string,
    readonly timing: RuleTiming,
    readonly scope: TrackScope = 'gpu',
    /** Set when a rule keeps one track per severity (GpuXidError): the severity of this track's alerts. */
    readonly severity?: Severity,
  ) {
    this.lifecycle = new AlertLifecycle({ for: timing.for_ms, keepFiringFor: timing.keep_firing_for_ms });
  }

  /** The lifecycle may hold an alert for `id`; when false and the condition does not hold, there is nothing to do. */
  engaged(id: number): boolean {
    return this.engagedIds[id] === 1;
  }

  /** The condition held at the last observation of `id`. */
  held(id: number): boolean {
    return this.heldIds[id] === 1;
  }

  /** The condition of `id` holds but has not held for the rule's `for` yet. */
  pending(id: number): boolean {
    return this.engagedIds[id] === 1 && this.lifecycle.stateOf(this.key(id)) === 'pending';
  }

  /** The alert of `id` fires. */
  firing(id: number): boolean {
    return this.engagedIds[id] === 1 && this.lifecycle.stateOf(this.key(id)) === 'firing';
  }

  /** The lifecycle holds a pending or firing alert for `id` (exact, unlike `engaged`). */
  inEpisode(id: number): boolean {
    return this.engagedIds[id] === 1 && this.lifecycle.stateOf(this.key(id)) !== undefined;
  }

  /** Observes the condition of `id` at event time `atMs` and emits what that causes. */
  observe(id: number, active: boolean, atMs: number, labels: Labels, annotations: Annotations, emit: EmitAlert): void {
    if (id >= this.engagedIds.length) this.grow(id + 1);
    const key = this.key(id);
    const event = this.lifecycle.observe(key, active, atMs, labels, annotations);
    this.engagedIds[id] = this.lifecycle.stateOf(key) === undefined ? 0 : 1;
    this.heldIds[id] = active ? 1 : 0;
    if (event) emit(event);
  }

  /** Observes that the condition of `id` no longer holds (nothing to label or describe). */
  clear(id: number, atMs: number, emit: EmitAlert): void {
    if (this.engagedIds[id] !== 1) {
      if (id < this.heldIds.length) this.heldIds[id] = 0;
      return;
    }
    this.observe(id, false, atMs, NO_LABELS, NO_ANNOTATIONS, emit);
  }

  /** Lets event time pass to `atMs`: firing alerts whose keep_firing_for has run out resolve. */
  advance(atMs: number, emit: EmitAlert): void {
    if (this.lifecycle.size === 0 || !Number.isFinite(atMs)) return; // no event time yet: nothing has passed
    const events: AlertEvent[] = this.lifecycle.advance(atMs);
    for (const e of events) emit(e);
  }

  /**
   * Detaches `id` from its alert, emitting nothing, so the id starts clean for another GPU. A pending alert is dropped
   * (it never notified anyone). A firing one stays firing in the lifecycle, where nothing observes it any more — it
   * must not resolve merely because its GPU's state was reclaimed — and its key is returned for `resume`. One already
   * counting down its keep_firing_for still resolves when that runs out (`advance`), as it would have.
   */
  retire(id: number): string | undefined {
    if (id >= this.engagedIds.length) return undefined;
    const key = this.keys[id];
    const engaged = this.engagedIds[id] === 1;
    this.engagedIds[id] = 0;
    this.heldIds[id] = 0;
    this.keys[id] = undefined;
    if (!engaged || key === undefined) return undefined;
    const state = this.lifecycle.stateOf(key);
    if (state === 'pending') this.lifecycle.observe(key, false, Infinity, NO_LABELS, NO_ANNOTATIONS); // leaves no trace
    return state === 'firing' ? key : undefined;
  }

  /**
   * Gives `id` the retired alert under `key` back, when it is still firing: observations of `id` carry it on, with
   * the condition taken to hold (for hysteresis) unless it was already clearing.
   */
  resume(id: number, key: string): void {
    if (this.lifecycle.stateOf(key) === undefined) return;
    if (id >= this.engagedIds.length) this.grow(id + 1);
    this.keys[id] = key;
    this.engagedIds[id] = 1;
    this.heldIds[id] = this.lifecycle.clearing(key) ? 0 : 1;
  }

  /** Whether this track holds alerts like `e` (its alertname, and its severity where it keeps one). */
  holds(e: AlertEvent): boolean {
    return (
      e.labels.alertname === this.alertname && (this.severity === undefined || e.labels.severity === this.severity)
    );
  }

  /**
   * Takes up an alert that was firing when the process stopped (AlertLifecycle.restore) under a new key, for `resume`
   * to give to the id its GPU, host or rack gets.
   */
  restore(e: AlertEvent): string {
    const key = `${this.alertname}#${this.keysMade++}`;
    this.lifecycle.restore(key, e);
    return key;
  }

  private key(id: number): string {
    return (this.keys[id] ??= `${this.alertname}#${this.keysMade++}`);
  }

  private grow(n: number): void {
    const size = grownCapacity(this.engagedIds.length, n);
    this.engagedIds = resized(this.engagedIds, size, 0);
    this.heldIds = resized(this.heldIds, size, 0);
  }
}
