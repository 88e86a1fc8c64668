import { AlertLifecycle, type AlertEvent, type Annotations, type Labels } from '@kiln/alerts';
import type { EmitAlert } from './detector.js';

/** Timing of a rule in event time (Prometheus `for` and `keep_firing_for`). */
export interface RuleTiming {
  readonly for_ms: number;
  readonly keep_firing_for_ms: number;
}

const NO_LABELS: Labels = {};
const NO_ANNOTATIONS: Annotations = {};

/**
 * One alert per dense id (a GPU, a host, a rack) for one rule, over an event-time AlertLifecycle. Besides the lifecycle
 * it keeps two bytes per id in typed arrays, so a detector can skip a healthy id without a map lookup or a string:
 * `engaged` (the lifecycle may hold a pending or firing alert for the id) and `held` (the condition held at the id's
 * last observation, which is what hysteresis needs).
 */
export class AlertTrack {
  private engagedIds = new Uint8Array(64);
  private heldIds = new Uint8Array(64);
  private readonly keys: string[] = [];
  private readonly lifecycle: AlertLifecycle;

  constructor(
    readonly alertname: string,
    timing: RuleTiming,
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

  private key(id: number): string {
    return (this.keys[id] ??= `${this.alertname}/${id}`);
  }

  private grow(n: number): void {
    let size = this.engagedIds.length;
    while (size < n) size *= 2;
    const engaged = new Uint8Array(size);
    engaged.set(this.engagedIds);
    this.engagedIds = engaged;
    const held = new Uint8Array(size);
    held.set(this.heldIds);
    this.heldIds = held;
  }
}
