import { METRIC_COUNT } from '@kiln/wire';

/** Per-window statistics for every metric of one GPU, read from the core's arrays at close. */
export interface ClosedWindow {
  /** Index into WindowCoreOptions.windowsMs. */
  readonly window: number;
  readonly lengthMs: number;
  readonly startMs: number;
  readonly gpuId: number;
  /** Offset of this window's stats in count/sum/min/max/last: stats for metric m are at offset + m. */
  readonly offset: number;
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly last: Float64Array;
  /** Samples (rows) that fell into the window, whatever metrics they carried. */
  readonly samples: number;
}

export interface WindowCoreOptions {
  /** Tumbling window lengths in ms, e.g. [10_000, 60_000]. */
  windowsMs: readonly number[];
  /** A window closes once the watermark (max event time − allowed lateness) passes its end. */
  allowedLatenessMs: number;
  /** Initial GPU capacity; grows by doubling. */
  initialGpus?: number;
  onClose: (w: ClosedWindow) => void;
}

/**
 * One window length: a ring of `slots` open windows per GPU (current plus those still inside the lateness), each a
 * block of METRIC_COUNT statistics. Slot of a window = (start / length) mod slots.
 */
class WindowRing {
  readonly slots: number;
  start: Float64Array;
  samples: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  last: Float64Array;
  lastTs: Float64Array;
  /** The earliest window start that may still be open (everything before it has been closed). */
  closedBefore = -Infinity;

  constructor(
    readonly lengthMs: number,
    allowedLatenessMs: number,
    gpus: number,
  ) {
    // Open windows start in (maxTs − lateness − length, maxTs]: at most floor(lateness / length) + 2 aligned starts.
    this.slots = Math.floor(allowedLatenessMs / lengthMs) + 2;
    const n = gpus * this.slots;
    this.start = new Float64Array(n).fill(NaN);
    this.samples = new Float64Array(n);
    this.lastTs = new Float64Array(n * METRIC_COUNT);
    this.count = new Float64Array(n * METRIC_COUNT);
    this.sum = new Float64Array(n * METRIC_COUNT);
    this.min = new Float64Array(n * METRIC_COUNT).fill(Infinity);
    this.max = new Float64Array(n * METRIC_COUNT).fill(-Infinity);
    this.last = new Float64Array(n * METRIC_COUNT).fill(NaN);
  }

  grow(gpus: number): void {
    const n = gpus * this.slots;
    const grow = (a: Float64Array, size: number, fill: number): Float64Array => {
      const b = new Float64Array(size);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    this.start = grow(this.start, n, NaN);
    this.samples = grow(this.samples, n, 0);
    this.lastTs = grow(this.lastTs, n * METRIC_COUNT, 0);
    this.count = grow(this.count, n * METRIC_COUNT, 0);
    this.sum = grow(this.sum, n * METRIC_COUNT, 0);
    this.min = grow(this.min, n * METRIC_COUNT, Infinity);
    this.max = grow(this.max, n * METRIC_COUNT, -Infinity);
    this.last = grow(this.last, n * METRIC_COUNT, NaN);
  }

  reset(slot: number): void {
    const o = slot * METRIC_COUNT;
    this.start[slot] = NaN;
    this.samples[slot] = 0;
    this.count.fill(0, o, o + METRIC_COUNT);
    this.sum.fill(0, o, o + METRIC_COUNT);
    this.min.fill(Infinity, o, o + METRIC_COUNT);
    this.max.fill(-Infinity, o, o + METRIC_COUNT);
    this.last.fill(NaN, o, o + METRIC_COUNT);
    this.lastTs.fill(0, o, o + METRIC_COUNT);
  }
}

/**
 * The event-time windowed-aggregation core: tumbling windows per GPU with a watermark, state in typed arrays keyed by
 * dense GPU ids. `add` touches only numbers; closed windows are handed to `onClose` as views on the arrays.
 */
export class WindowCore {
  private readonly rings: WindowRing[];
  private capacity: number;
  private maxEventTs = -Infinity;
  /** Samples whose windows had all closed when they arrived (they are still stored raw; rollups merge them). */
  late = 0;
  windowsClosed = 0;

  constructor(private readonly options: WindowCoreOptions) {
    if (options.windowsMs.length === 0) throw new Error('at least one window length is required');
    this.capacity = Math.max(16, options.initialGpus ?? 1024);
    this.rings = options.windowsMs.map((len) => {
      if (!Number.isInteger(len) || len <= 0) throw new Error(`invalid window length ${len}`);
      return new WindowRing(len, options.allowedLatenessMs, this.capacity);
    });
  }

  /** Max event time seen − allowed lateness. */
  get watermark(): number {
    return this.maxEventTs - this.options.allowedLatenessMs;
  }

  /**
   * Adds one GPU-sample: `values[valuesOffset + m]` for each metric m, NaN = absent.
   * Returns false when the sample was late for every window (counted in `late`).
   */
  add(gpuId: number, ts: number, values: Float64Array, valuesOffset: number): boolean {
    if (gpuId >= this.capacity) this.grow(gpuId + 1);
    let accepted = false;
    for (let r = 0; r < this.rings.length; r++) {
      const ring = this.rings[r]!;
      const len = ring.lengthMs;
      const ws = Math.floor(ts / len) * len;
      if (ws < ring.closedBefore || ws + len <= this.watermark) continue;
      const slot = gpuId * ring.slots + (Math.floor(ts / len) % ring.slots);
      const open = ring.start[slot]!;
      if (open !== ws) {
        // A slot still holding an older window means the watermark jumped past it without a close: close it now.
        if (!Number.isNaN(open)) this.emit(r, ring, gpuId, slot);
        ring.start[slot] = ws;
      }
      accepted = true;
      ring.samples[slot]!++;
      const o = slot * METRIC_COUNT;
      for (let m = 0; m < METRIC_COUNT; m++) {
        const v = values[valuesOffset + m]!;
        if (v !== v) continue; // NaN: absent
        const i = o + m;
        ring.count[i]!++;
        ring.sum[i]! += v;
        if (v < ring.min[i]!) ring.min[i] = v;
        if (v > ring.max[i]!) ring.max[i] = v;
        if (ts >= ring.lastTs[i]!) {
          ring.last[i] = v;
          ring.lastTs[i] = ts;
        }
      }
    }
    if (!accepted) this.late++;
    if (ts > this.maxEventTs) this.maxEventTs = ts;
    return accepted;
  }

  /**
   * Closes every window whose end is at or before the watermark. Call after each batch of samples, and with a
   * wall-clock driven `advanceTo` when a partition goes quiet so the last windows close too.
   */
  closeReady(): number {
    const wm = this.watermark;
    let closed = 0;
    for (let r = 0; r < this.rings.length; r++) {
      const ring = this.rings[r]!;
      const len = ring.lengthMs;
      const limit = Math.floor(wm / len) * len; // windows starting before this have end <= wm
      if (!(limit > ring.closedBefore)) continue;
      const n = this.capacity * ring.slots;
      for (let slot = 0; slot < n; slot++) {
        const s = ring.start[slot]!;
        if (s === s && s < limit) {
          this.emit(r, ring, Math.floor(slot / ring.slots), slot);
          closed++;
        }
      }
      ring.closedBefore = limit;
    }
    return closed;
  }

  /** Moves the watermark forward as if an event at `eventTs` had been seen (idle partitions). */
  advanceTo(eventTs: number): number {
    if (eventTs > this.maxEventTs) this.maxEventTs = eventTs;
    return this.closeReady();
  }

  private emit(r: number, ring: WindowRing, gpuId: number, slot: number): void {
    this.options.onClose({
      window: r,
      lengthMs: ring.lengthMs,
      startMs: ring.start[slot]!,
      gpuId,
      offset: slot * METRIC_COUNT,
      count: ring.count,
      sum: ring.sum,
      min: ring.min,
      max: ring.max,
      last: ring.last,
      samples: ring.samples[slot]!,
    });
    this.windowsClosed++;
    ring.reset(slot);
  }

  private grow(gpus: number): void {
    let cap = this.capacity;
    while (cap < gpus) cap *= 2;
    for (const ring of this.rings) ring.grow(cap);
    this.capacity = cap;
  }
}
