import { COUNTER_IDS, METRIC_COUNT } from '@kiln/wire';

/** 1 for counter metrics (energy, ECC, PCIe replays, NVLink bytes), by metric id. */
export const IS_COUNTER = new Uint8Array(METRIC_COUNT);
for (const m of COUNTER_IDS) IS_COUNTER[m] = 1;

/**
 * Window statistics for `slots` windows, each a block of METRIC_COUNT metrics, plus the window's start, its sample
 * count and the event time of its last sample. For a gauge or state metric: count, sum, min, max and last of its
 * values. For a counter: min, max and last of its raw values, and count and sum of its increases between consecutive
 * samples (so sum is the window's delta and sum / length its rate; see WindowCore for resets).
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

  constructor(slots: number) {
    const n = slots * METRIC_COUNT;
    this.start = new Float64Array(slots).fill(NaN);
    this.samples = new Uint32Array(slots);
    this.lastTs = new Float64Array(slots).fill(-Infinity);
    this.count = new Uint32Array(n);
    this.sum = new Float64Array(n);
    this.min = new Float32Array(n).fill(Infinity);
    this.max = new Float32Array(n).fill(-Infinity);
    this.last = new Float32Array(n).fill(NaN);
  }

  /** Bytes of state per slot. */
  static get bytesPerSlot(): number {
    return 8 + 4 + 8 + METRIC_COUNT * (4 + 8 + 4 + 4 + 4);
  }

  grow(slots: number): void {
    const n = slots * METRIC_COUNT;
    this.start = grown(this.start, slots, NaN);
    this.samples = grown(this.samples, slots, 0);
    this.lastTs = grown(this.lastTs, slots, -Infinity);
    this.count = grown(this.count, n, 0);
    this.sum = grown(this.sum, n, 0);
    this.min = grown(this.min, n, Infinity);
    this.max = grown(this.max, n, -Infinity);
    this.last = grown(this.last, n, NaN);
  }

  /**
   * Adds one sample (values[offset + m], NaN = absent) to the window in `slot`; `increases[m]` is each counter's
   * increase since the GPU's previous sample (NaN when unknown).
   */
  add(slot: number, ts: number, values: Float64Array, offset: number, increases: Float64Array): void {
    this.samples[slot]!++;
    const newer = ts >= this.lastTs[slot]!;
    if (newer) this.lastTs[slot] = ts;
    const o = slot * METRIC_COUNT;
    for (let m = 0; m < METRIC_COUNT; m++) {
      const v = values[offset + m]!;
      if (v !== v) continue; // NaN: absent
      const i = o + m;
      const summed = IS_COUNTER[m] === 1 ? increases[m]! : v;
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
    const o = slot * METRIC_COUNT;
    const p = fromSlot * METRIC_COUNT;
    for (let m = 0; m < METRIC_COUNT; m++) {
      const last = from.last[p + m]!;
      if (last !== last) continue; // the metric was absent from every sample of that window
      const i = o + m;
      this.count[i]! += from.count[p + m]!;
      this.sum[i]! += from.sum[p + m]!;
      if (from.min[p + m]! < this.min[i]!) this.min[i] = from.min[p + m]!;
      if (from.max[p + m]! > this.max[i]!) this.max[i] = from.max[p + m]!;
      if (newer || this.last[i] !== this.last[i]) this.last[i] = last;
    }
  }

  reset(slot: number): void {
    const o = slot * METRIC_COUNT;
    this.start[slot] = NaN;
    this.samples[slot] = 0;
    this.lastTs[slot] = -Infinity;
    this.count.fill(0, o, o + METRIC_COUNT);
    this.sum.fill(0, o, o + METRIC_COUNT);
    this.min.fill(Infinity, o, o + METRIC_COUNT);
    this.max.fill(-Infinity, o, o + METRIC_COUNT);
    this.last.fill(NaN, o, o + METRIC_COUNT);
  }
}

type TypedArray = Float64Array | Float32Array | Uint32Array;

function grown<T extends TypedArray>(a: T, size: number, fill: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}
