import { grownCapacity, resized } from './capacity.js';
import type { GpuStateOwner } from './gpu-state-owner.js';
import { WindowColumns } from './window-columns.js';
import { WindowStats } from './window-stats.js';

/** Per-window statistics of the windowed metrics of one GPU, read from the core's arrays at close. */
export interface ClosedWindow {
  /** Index into WindowCoreOptions.windowsMs. */
  readonly window: number;
  readonly lengthMs: number;
  readonly startMs: number;
  readonly gpuId: number;
  /**
   * Offset of this window's stats in count/sum/min/max/last: stats for metric m are at offset + column[m]. For
   * counters, count and sum are of increases (sum = the window's delta, sum / seconds = its rate); min/max/last of raw
   * values.
   */
  readonly offset: number;
  /** Column of each metric id (-1: not windowed); every metric's column is its id when the core windows them all. */
  readonly column: Int8Array;
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
  /**
   * Metric ids to keep statistics of (every metric by default). The windows' consumers read few of them: windowing
   * only those (Detection's WINDOW_METRICS) is most of the core's memory per GPU.
   */
  metrics?: readonly number[];
  /** Initial GPU capacity; grows by a quarter at a time. */
  initialGpus?: number;
  onClose: (w: ClosedWindow) => void;
  /**
   * Called after all the shortest windows that start at one time have closed, with their end: the moment group
   * judgements (peer groups, rack-wide events) can be made. Windows close one start time at a time, oldest first,
   * so replaying a stream in different batches gives the same sequence of calls.
   */
  onPass?: (endMs: number) => void;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The event-time windowed-aggregation core. The shortest window is kept per GPU in a ring of open windows (the current
 * one plus those still inside the allowed lateness); each longer window is one accumulator per GPU into which the
 * shortest windows fold as they close, so a sample is added once whatever the number of window lengths. State lives in
 * typed arrays keyed by dense GPU ids; `add` touches only numbers; closed windows are handed to `onClose` as one reused
 * view on the arrays, valid during the call.
 *
 * Event time is the caller's: `advanceTo` moves it (EventClock decides how far), and windows close the moment the
 * watermark (event time − allowed lateness) passes them. A sample is late when its shortest window has closed, and
 * early when its window lies beyond the ones the ring holds (an agent far ahead of its partition); either way it is
 * counted (it is still stored raw, and the storage rollups take it) but not windowed here.
 */
export class WindowCore implements GpuStateOwner {
  private readonly columns: WindowColumns;
  private readonly baseMs: number;
  private readonly slots: number;
  private readonly base: WindowStats;
  /** One accumulator per longer window length. */
  private readonly longer: { lengthMs: number; stats: WindowStats; closedBefore: number }[];
  private capacity: number;
  private eventTime = -Infinity;
  /** Every shortest window starting before this has been closed. */
  private baseClosedBefore = -Infinity;
  /** Each counter's previous value and the event time of the GPU's previous sample, for increases. */
  private prevCounter: Float64Array;
  private prevTs: Float64Array;
  /** Each windowed counter's increase in the sample being added, by column. */
  private readonly increases: Float64Array;
  /** The view handed to onClose, refilled for every window. */
  private readonly closed: Writable<ClosedWindow>;
  /** Counters seen going down: restarted (driver reload), never a negative increase. */
  counterResets = 0;
  /** Samples whose windows had all closed when they arrived. */
  late = 0;
  /** Samples too far ahead of the partition's event time for the ring of open windows. */
  early = 0;
  windowsClosed = 0;

  constructor(private readonly options: WindowCoreOptions) {
    const lengths = options.windowsMs;
    if (lengths.length === 0) throw new Error('at least one window length is required');
    const baseMs = lengths[0]!;
    lengths.forEach((len, i) => {
      if (!Number.isInteger(len) || len <= 0) throw new Error(`invalid window length ${len}`);
      if (i > 0 && (len <= lengths[i - 1]! || len % baseMs !== 0)) {
        throw new Error(
          `window lengths must increase and be multiples of the first (${baseMs} ms); got ${lengths.join(', ')}`,
        );
      }
    });
    this.baseMs = baseMs;
    this.columns = new WindowColumns(options.metrics);
    // Open windows start in (maxTs − lateness − length, maxTs]: at most floor(lateness / length) + 2 aligned starts.
    this.slots = Math.floor(options.allowedLatenessMs / baseMs) + 2;
    this.capacity = Math.max(16, options.initialGpus ?? 1024);
    const columns = this.columns;
    this.base = new WindowStats(this.capacity * this.slots, columns);
    this.longer = lengths
      .slice(1)
      .map((lengthMs) => ({ lengthMs, stats: new WindowStats(this.capacity, columns), closedBefore: -Infinity }));
    this.prevCounter = new Float64Array(this.capacity * columns.counters.length).fill(NaN);
    this.prevTs = new Float64Array(this.capacity).fill(-Infinity);
    this.increases = new Float64Array(columns.width).fill(NaN);
    const base = this.base;
    this.closed = {
      window: 0,
      lengthMs: 0,
      startMs: NaN,
      gpuId: 0,
      offset: 0,
      column: columns.column,
      count: base.count,
      sum: base.sum,
      min: base.min,
      max: base.max,
      last: base.last,
      samples: 0,
    };
  }

  /** Event time (advanceTo) − allowed lateness. */
  get watermark(): number {
    return this.eventTime - this.options.allowedLatenessMs;
  }

  /** Bytes of window state per tracked GPU, by layout (capacity not in use yet not counted). */
  get bytesPerGpu(): number {
    return (
      WindowStats.bytesPerSlot(this.columns.width) * (this.slots + this.longer.length) +
      8 * (this.columns.counters.length + 1)
    );
  }

  /**
   * Adds one GPU-sample at event time `ts`: `values[valuesOffset + m]` for each metric m, NaN = absent (metrics not
   * windowed are not read). Returns false when the sample was late or early (counted in `late`, `early`).
   */
  add(gpuId: number, ts: number, values: Float64Array, valuesOffset: number): boolean {
    if (gpuId >= this.capacity) this.grow(gpuId + 1);
    const len = this.baseMs;
    const index = Math.floor(ts / len);
    const ws = index * len;
    if (ws < this.baseClosedBefore || ws + len <= this.watermark) {
      this.late++;
      return false;
    }
    // The ring holds the shortest windows from the first the watermark has not passed, `slots` of them.
    if (index - this.slots >= Math.floor(this.watermark / len) && this.eventTime !== -Infinity) {
      this.early++;
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
   * Each windowed counter's increase since the GPU's previous sample, by column: NaN for the first sample or one older
   * than the previous (out of order), and the new value itself when the counter went down — it restarted from zero, so
   * its increase since the restart is what it reads now.
   */
  private counterIncreases(gpuId: number, ts: number, values: Float64Array, offset: number): Float64Array {
    const out = this.increases;
    const { counters, metricOf } = this.columns;
    const inOrder = ts > this.prevTs[gpuId]!;
    if (inOrder) this.prevTs[gpuId] = ts;
    const base = gpuId * counters.length;
    for (let k = 0; k < counters.length; k++) {
      const c = counters[k]!;
      const v = values[offset + metricOf[c]!]!;
      if (!inOrder || v !== v) {
        out[c] = NaN;
        continue;
      }
      const prev = this.prevCounter[base + k]!;
      this.prevCounter[base + k] = v;
      if (prev !== prev) out[c] = NaN;
      else if (v >= prev) out[c] = v - prev;
      else {
        out[c] = v;
        this.counterResets++;
      }
    }
    return out;
  }

  /**
   * Closes every window whose end is at or before the watermark (`advanceTo` does this as event time moves).
   * Returns the windows closed.
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

  /**
   * Moves event time forward to `eventTs` and closes the windows the watermark passes. Called as the partition's
   * clock moves (before the sample that moved it is added), so the sequence of closes and passes is a function of the
   * sample sequence alone, whatever the caller's batching: a replay judges exactly what living through it did.
   * Returns the windows closed.
   */
  advanceTo(eventTs: number): number {
    if (!(eventTs > this.eventTime)) return 0;
    this.eventTime = eventTs;
    return this.watermark >= this.baseClosedBefore + this.baseMs ? this.closeReady() : 0;
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
    const w = this.closed;
    w.window = window;
    w.lengthMs = lengthMs;
    w.startMs = stats.start[slot]!;
    w.gpuId = gpuId;
    w.offset = slot * this.columns.width;
    w.count = stats.count;
    w.sum = stats.sum;
    w.min = stats.min;
    w.max = stats.max;
    w.last = stats.last;
    w.samples = stats.samples[slot]!;
    this.options.onClose(w);
    this.windowsClosed++;
    stats.reset(slot);
  }

  /**
   * Drops the GPU's open windows unreported and its counters' previous values: its id goes to another GPU, which must
   * start with nothing of this one's (GpuRegistry.reclaimIdle; a GPU silent that long has no open window left).
   */
  forgetGpu(gpuId: number): void {
    if (gpuId >= this.capacity) return;
    for (let s = 0; s < this.slots; s++) this.base.reset(gpuId * this.slots + s);
    for (const acc of this.longer) acc.stats.reset(gpuId);
    const counters = this.columns.counters.length;
    this.prevCounter.fill(NaN, gpuId * counters, (gpuId + 1) * counters);
    this.prevTs[gpuId] = -Infinity;
  }

  private grow(gpus: number): void {
    const cap = grownCapacity(this.capacity, gpus);
    this.base.grow(cap * this.slots);
    for (const acc of this.longer) acc.stats.grow(cap);
    this.prevCounter = resized(this.prevCounter, cap * this.columns.counters.length, NaN);
    this.prevTs = resized(this.prevTs, cap, -Infinity);
    this.capacity = cap;
  }
}
