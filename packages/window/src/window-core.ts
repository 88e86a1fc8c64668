import { COUNTER_IDS, METRIC_COUNT } from '@kiln/wire';
import { WindowStats } from './window-stats.js';

/** Per-window statistics for every metric of one GPU, read from the core's arrays at close. */
export interface ClosedWindow {
  /** Index into WindowCoreOptions.windowsMs. */
  readonly window: number;
  readonly lengthMs: number;
  readonly startMs: number;
  readonly gpuId: number;
  /**
   * Offset of this window's stats in count/sum/min/max/last: stats for metric m are at offset + m. For counters,
   * count and sum are of increases (sum = the window's delta, sum / seconds = its rate); min/max/last of raw values.
   */
  readonly offset: number;
  readonly count: Uint32Array;
  readonly sum: Float64Array;
  readonly min: Float32Array;
  readonly max: Float32Array;
  readonly last: Float32Array;
  /** Samples (rows) that fell into the window, whatever metrics they carried. */
  readonly samples: number;
}

export interface WindowCoreOptions {
  /** Tumbling window lengths in ms, shortest first, each a multiple of the first, e.g. [10_000, 60_000]. */
  windowsMs: readonly number[];
  /** A window closes once the watermark (max event time − allowed lateness) passes its end. */
  allowedLatenessMs: number;
  /** Initial GPU capacity; grows by doubling. */
  initialGpus?: number;
  onClose: (w: ClosedWindow) => void;
  /**
   * Called after all the shortest windows that start at one time have closed, with their end: the moment group
   * judgements (peer groups, rack-wide events) can be made. Windows close one start time at a time, oldest first,
   * so replaying a stream in different batches gives the same sequence of calls.
   */
  onPass?: (endMs: number) => void;
}

/**
 * The event-time windowed-aggregation core. The shortest window is kept per GPU in a ring of open windows (the current
 * one plus those still inside the allowed lateness); each longer window is one accumulator per GPU into which the
 * shortest windows fold as they close, so a sample is added once whatever the number of window lengths. State lives in
 * typed arrays keyed by dense GPU ids; `add` touches only numbers; closed windows are handed to `onClose` as views on
 * the arrays, valid during the call.
 *
 * A sample is late when its shortest window has closed; it is counted (it is still stored raw, and the storage
 * rollups merge it) but not windowed here.
 */
export class WindowCore {
  private readonly baseMs: number;
  private readonly slots: number;
  private readonly base: WindowStats;
  /** One accumulator per longer window length. */
  private readonly longer: { lengthMs: number; stats: WindowStats; closedBefore: number }[];
  private capacity: number;
  private maxEventTs = -Infinity;
  /** Every shortest window starting before this has been closed. */
  private baseClosedBefore = -Infinity;
  /** Each counter's previous value and the event time of the GPU's previous sample, for increases. */
  private prevCounter: Float64Array;
  private prevTs: Float64Array;
  private readonly increases = new Float64Array(METRIC_COUNT).fill(NaN);
  /** Counters seen going down: restarted (driver reload), never a negative increase. */
  counterResets = 0;
  /** Samples whose windows had all closed when they arrived. */
  late = 0;
  windowsClosed = 0;

  constructor(private readonly options: WindowCoreOptions) {
    const lengths = options.windowsMs;
    if (lengths.length === 0) throw new Error('at least one window length is required');
    const baseMs = lengths[0]!;
    lengths.forEach((len, i) => {
      if (!Number.isInteger(len) || len <= 0) throw new Error(`invalid window length ${len}`);
      if (i > 0 && (len <= lengths[i - 1]! || len % baseMs !== 0)) {
        throw new Error(`window lengths must increase and be multiples of the first (${baseMs} ms); got ${lengths.join(', ')}`);
      }
    });
    this.baseMs = baseMs;
    // Open windows start in (maxTs − lateness − length, maxTs]: at most floor(lateness / length) + 2 aligned starts.
    this.slots = Math.floor(options.allowedLatenessMs / baseMs) + 2;
    this.capacity = Math.max(16, options.initialGpus ?? 1024);
    this.base = new WindowStats(this.capacity * this.slots);
    this.longer = lengths.slice(1).map((lengthMs) => ({ lengthMs, stats: new WindowStats(this.capacity), closedBefore: -Infinity }));
    this.prevCounter = new Float64Array(this.capacity * COUNTER_IDS.length).fill(NaN);
    this.prevTs = new Float64Array(this.capacity).fill(-Infinity);
  }

  /** Max event time seen − allowed lateness. */
  get watermark(): number {
    return this.maxEventTs - this.options.allowedLatenessMs;
  }

  /** Bytes of window state per tracked GPU. */
  get bytesPerGpu(): number {
    return WindowStats.bytesPerSlot * (this.slots + this.longer.length) + 8 * (COUNTER_IDS.length + 1);
  }

  /**
   * Adds one GPU-sample: `values[valuesOffset + m]` for each metric m, NaN = absent.
   * Returns false when the sample was late (counted in `late`).
   */
  add(gpuId: number, ts: number, values: Float64Array, valuesOffset: number): boolean {
    if (gpuId >= this.capacity) this.grow(gpuId + 1);
    if (ts > this.maxEventTs) {
      this.maxEventTs = ts;
      // Windows close the moment the watermark passes them, whatever the caller's batching: the sequence of closes
      // and passes is a function of the sample sequence alone, so a replay judges exactly what living through it did.
      if (this.watermark >= this.baseClosedBefore + this.baseMs) this.closeReady();
    }
    const len = this.baseMs;
    const index = Math.floor(ts / len);
    const ws = index * len;
    if (ws < this.baseClosedBefore || ws + len <= this.watermark) {
      this.late++;
      return false;
    }
    const slot = gpuId * this.slots + (index % this.slots);
    const base = this.base;
    const open = base.start[slot]!;
    if (open !== ws) {
      // A slot still holding an older window means the watermark passed it without a closing pass: close it now.
      if (open === open) this.closeBase(gpuId, slot);
      base.start[slot] = ws;
    }
    base.add(slot, ts, values, valuesOffset, this.counterIncreases(gpuId, ts, values, valuesOffset));
    return true;
  }

  /**
   * Each counter's increase since the GPU's previous sample: NaN for the first sample or one older than the previous
   * (out of order), and the new value itself when the counter went down — it restarted from zero, so its increase
   * since the restart is what it reads now.
   */
  private counterIncreases(gpuId: number, ts: number, values: Float64Array, offset: number): Float64Array {
    const out = this.increases;
    const inOrder = ts > this.prevTs[gpuId]!;
    if (inOrder) this.prevTs[gpuId] = ts;
    const base = gpuId * COUNTER_IDS.length;
    for (let c = 0; c < COUNTER_IDS.length; c++) {
      const m = COUNTER_IDS[c]!;
      const v = values[offset + m]!;
      if (!inOrder || v !== v) {
        out[m] = NaN;
        continue;
      }
      const prev = this.prevCounter[base + c]!;
      this.prevCounter[base + c] = v;
      if (prev !== prev) out[m] = NaN;
      else if (v >= prev) out[m] = v - prev;
      else {
        out[m] = v;
        this.counterResets++;
      }
    }
    return out;
  }

  /**
   * Closes every window whose end is at or before the watermark (`add` does this as the watermark moves; through
   * `advanceTo`, a quiet partition's last windows close too). Returns the windows closed.
   */
  closeReady(): number {
    const wm = this.watermark;
    const before = this.windowsClosed;
    const len = this.baseMs;
    const limit = Math.floor(wm / len) * len; // shortest windows starting before this have ended
    if (limit > this.baseClosedBefore) {
      for (let ws = this.oldestOpenStart(limit); ws < limit; ws = this.oldestOpenStart(limit)) {
        this.closeLongerBefore(ws);
        const slotOf = Math.floor(ws / len) % this.slots;
        const start = this.base.start;
        for (let g = 0; g < this.capacity; g++) {
          const slot = g * this.slots + slotOf;
          if (start[slot] === ws) this.closeBase(g, slot);
        }
        this.baseClosedBefore = ws + len;
        this.options.onPass?.(ws + len);
      }
      this.baseClosedBefore = limit;
    }
    this.closeLongerBefore(wm);
    return this.windowsClosed - before;
  }

  /** The earliest start of an open shortest window before `limit`, or `limit` when there is none. */
  private oldestOpenStart(limit: number): number {
    let oldest = limit;
    const start = this.base.start;
    const n = this.capacity * this.slots;
    for (let s = 0; s < n; s++) {
      const st = start[s]!;
      if (st < oldest) oldest = st; // NaN compares false: empty slots are skipped
    }
    return oldest;
  }

  /** Emits the longer windows that end at or before `t`. */
  private closeLongerBefore(t: number): void {
    for (let k = 0; k < this.longer.length; k++) {
      const acc = this.longer[k]!;
      const accLimit = Math.floor(t / acc.lengthMs) * acc.lengthMs;
      if (!(accLimit > acc.closedBefore)) continue;
      const start = acc.stats.start;
      for (let g = 0; g < this.capacity; g++) {
        const st = start[g]!;
        if (st < accLimit) this.emit(k + 1, acc.lengthMs, acc.stats, g, g);
      }
      acc.closedBefore = accLimit;
    }
  }

  /** Moves the watermark forward as if an event at `eventTs` had been seen (idle partitions). */
  advanceTo(eventTs: number): number {
    if (eventTs > this.maxEventTs) this.maxEventTs = eventTs;
    return this.closeReady();
  }

  /** Hands over a shortest window and folds it into the longer windows it belongs to. */
  private closeBase(gpuId: number, slot: number): void {
    const base = this.base;
    const ws = base.start[slot]!;
    for (let k = 0; k < this.longer.length; k++) {
      const acc = this.longer[k]!;
      const accStart = Math.floor(ws / acc.lengthMs) * acc.lengthMs;
      const held = acc.stats.start[gpuId]!;
      if (held === held && held !== accStart) this.emit(k + 1, acc.lengthMs, acc.stats, gpuId, gpuId);
      acc.stats.start[gpuId] = accStart;
      acc.stats.fold(gpuId, base, slot);
    }
    this.emit(0, this.baseMs, base, gpuId, slot);
  }

  private emit(window: number, lengthMs: number, stats: WindowStats, gpuId: number, slot: number): void {
    this.options.onClose({
      window,
      lengthMs,
      startMs: stats.start[slot]!,
      gpuId,
      offset: slot * METRIC_COUNT,
      count: stats.count,
      sum: stats.sum,
      min: stats.min,
      max: stats.max,
      last: stats.last,
      samples: stats.samples[slot]!,
    });
    this.windowsClosed++;
    stats.reset(slot);
  }

  private grow(gpus: number): void {
    let cap = this.capacity;
    while (cap < gpus) cap *= 2;
    this.base.grow(cap * this.slots);
    for (const acc of this.longer) acc.stats.grow(cap);
    const prev = new Float64Array(cap * COUNTER_IDS.length).fill(NaN);
    prev.set(this.prevCounter);
    this.prevCounter = prev;
    const prevTs = new Float64Array(cap).fill(-Infinity);
    prevTs.set(this.prevTs);
    this.prevTs = prevTs;
    this.capacity = cap;
  }
}
