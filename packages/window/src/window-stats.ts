import { resized } from './capacity.js';
import type { WindowColumns } from './window-columns.js';

/**
 * Window statistics for `slots` windows, each a block of one column per windowed metric (WindowColumns), plus the
 * window's start, its sample count and the event time of its last sample. For a gauge or state metric: count, sum, min,
 * max and last of its values. For a counter: min, max and last of its raw values, and count and sum of its increases
 * between consecutive samples (so sum is the window's delta and sum / length its rate; see WindowCore for resets).
 *
 * Sums are Float64 so that means stay exact to the input's precision; min, max and last are Float32, which keeps every
 * catalog metric to well under its sensor resolution (7 significant digits) at half the memory.
 */
export class WindowStats {
  start: Float64Array;
  samples: Uint32Array;
  lastTs: Float64Array;
  count: Uint32Array;
  sum: Float64Array;
  min: Float32Array;
  max: Float32Array;
  last: Float32Array;

  constructor(
    slots: number,
    readonly columns: WindowColumns,
  ) {
    const n = slots * columns.width;
    this.start = new Float64Array(slots).fill(NaN);
    this.samples = new Uint32Array(slots);
    this.lastTs = new Float64Array(slots).fill(-Infinity);
    this.count = new Uint32Array(n);
    this.sum = new Float64Array(n);
    this.min = new Float32Array(n).fill(Infinity);
    this.max = new Float32Array(n).fill(-Infinity);
    this.last = new Float32Array(n).fill(NaN);
  }

  /** Bytes of state per slot with `width` metric columns. */
  static bytesPerSlot(width: number): number {
    return 8 + 4 + 8 + width * (4 + 8 + 4 + 4 + 4);
  }

  grow(slots: number): void {
    const n = slots * this.columns.width;
    this.start = resized(this.start, slots, NaN);
    this.samples = resized(this.samples, slots, 0);
    this.lastTs = resized(this.lastTs, slots, -Infinity);
    this.count = resized(this.count, n, 0);
    this.sum = resized(this.sum, n, 0);
    this.min = resized(this.min, n, Infinity);
    this.max = resized(this.max, n, -Infinity);
    this.last = resized(this.last, n, NaN);
  }

  /**
   * Adds one sample (values[offset + m] for metric m, NaN = absent) to the window in `slot`; `increases[c]` is the
   * increase of the counter in column c since the GPU's previous sample (NaN when unknown).
   */
  add(slot: number, ts: number, values: Float64Array, offset: number, increases: Float64Array): void {
    this.samples[slot]!++;
    const newer = ts >= this.lastTs[slot]!;
    if (newer) this.lastTs[slot] = ts;
    const { width, metricOf, isCounter } = this.columns;
    const o = slot * width;
    for (let c = 0; c < width; c++) {
      const v = values[offset + metricOf[c]!]!;
      if (v !== v) continue; // NaN: absent
      const i = o + c;
      const summed = isCounter[c] === 1 ? increases[c]! : v;
      if (summed === summed) {
        this.count[i]!++;
        this.sum[i]! += summed;
      }
      if (v < this.min[i]!) this.min[i] = v;
      if (v > this.max[i]!) this.max[i] = v;
      if (newer) this.last[i] = v;
    }
  }

  /** Merges the window in `from.slot` into this window in `slot` (a longer window built from shorter ones). */
  fold(slot: number, from: WindowStats, fromSlot: number): void {
    this.samples[slot]! += from.samples[fromSlot]!;
    const newer = from.lastTs[fromSlot]! >= this.lastTs[slot]!;
    if (newer) this.lastTs[slot] = from.lastTs[fromSlot]!;
    const width = this.columns.width;
    const o = slot * width;
    const p = fromSlot * width;
    for (let c = 0; c < width; c++) {
      const last = from.last[p + c]!;
      if (last !== last) continue; // the metric was absent from every sample of that window
      const i = o + c;
      this.count[i]! += from.count[p + c]!;
      this.sum[i]! += from.sum[p + c]!;
      if (from.min[p + c]! < this.min[i]!) this.min[i] = from.min[p + c]!;
      if (from.max[p + c]! > this.max[i]!) this.max[i] = from.max[p + c]!;
      if (newer || this.last[i] !== this.last[i]) this.last[i] = last;
    }
  }

  reset(slot: number): void {
    const width = this.columns.width;
    const o = slot * width;
    this.start[slot] = NaN;
    this.samples[slot] = 0;
    this.lastTs[slot] = -Infinity;
    this.count.fill(0, o, o + width);
    this.sum.fill(0, o, o + width);
    this.min.fill(Infinity, o, o + width);
    this.max.fill(-Infinity, o, o + width);
    this.last.fill(NaN, o, o + width);
  }
}
