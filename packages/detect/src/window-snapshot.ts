import { METRIC_ID, METRIC_NAMES } from '@kiln/wire';
import { grownCapacity, resized, type ClosedWindow } from '@kiln/window';

const TEMP = METRIC_ID.temp_c;
const POWER = METRIC_ID.power_w;
const UTIL = METRIC_ID.util_pct;
const SM_ACTIVE = METRIC_ID.sm_active;
const SM_CLOCK = METRIC_ID.sm_clock_mhz;
const SLOWDOWN = METRIC_ID.slowdown_temp_c;
const CLOCK_EVENTS = METRIC_ID.clock_events;

/** The metrics window-judging detectors read: the window core need keep statistics of these alone. */
export const WINDOW_METRICS: readonly number[] = [TEMP, POWER, UTIL, SM_ACTIVE, SM_CLOCK, SLOWDOWN, CLOCK_EVENTS];

/**
 * The latest closed window of each GPU, for the detectors that judge windows (rates, peer groups, rack-wide events),
 * plus a short history of each GPU's mean temperature and power. Statistical detectors judge the shortest window
 * length the window core closes (10 s by default); longer windows are ignored.
 *
 * A window-closing pass of the core closes the same window (same start) of every GPU that sent samples in it. The
 * GPUs whose newest window in the pass has the pass's newest start are the pass's `judged` GPUs; a GPU without a
 * window in the pass (it sent nothing) is not judged.
 */
export class WindowSnapshot {
  /** Length of the windows judged; NaN until the first window. */
  lengthMs = NaN;
  // Per GPU: means of the latest window (NaN when the metric was not read), and state metrics.
  start: Float64Array = new Float64Array(64).fill(NaN);
  temp: Float64Array = new Float64Array(64);
  power: Float64Array = new Float64Array(64);
  smClock: Float64Array = new Float64Array(64);
  /** sm_active, else util_pct / 100. */
  activity: Float64Array = new Float64Array(64);
  /** Latest slowdown_temp_c (NaN when never reported in the window). */
  slowdown: Float64Array = new Float64Array(64);
  /** Bits of clock_events in the window's last and highest values (its real readings, unlike an OR of them). */
  clockEvents: Int32Array = new Int32Array(64);
  // History: per GPU `depth` slots of mean temperature and power (Float32: a tenth of a degree or watt is far above its
  // rounding), slot = (start / length) mod depth. The slots hold the GPU's windows from `historyFrom` on without a gap:
  // a GPU that misses a window starts its history again, so one start per GPU tells which slots are current.
  private depth = 0;
  private historyFrom: Float64Array = new Float64Array(64).fill(NaN);
  private historyTemp: Float32Array = new Float32Array(0);
  private historyPower: Float32Array = new Float32Array(0);
  // The current pass: its number, the pass each GPU last had a window in, and the GPUs with a window in this one.
  private passNo = 1;
  private passOf: Int32Array = new Int32Array(64);
  private pass: Int32Array = new Int32Array(64);
  private passCount = 0;
  private passStart = -Infinity;
  /** GPUs judged in the closing pass, and how many. */
  judged: Int32Array = new Int32Array(64);
  judgedCount = 0;
  /** Event time the judged windows end: the time of the pass's judgements. */
  judgedEndMs = NaN;

  /** @param historyMs how far back detectors look into the history */
  constructor(private readonly historyMs: number) {}

  /** Takes one closed window (WindowCore's onClose, through Detection.onWindow). */
  record(w: ClosedWindow): void {
    if (w.lengthMs !== this.lengthMs) {
      if (w.lengthMs > this.lengthMs) return; // a longer window: not judged
      this.adopt(w); // the first window, or a shorter one than so far
    }
    const g = w.gpuId;
    if (g >= this.start.length) this.growGpus(g + 1);
    const o = w.offset;
    const c = w.column;
    const previous = this.start[g]!;
    this.start[g] = w.startMs;
    this.temp[g] = mean(w, o + c[TEMP]!);
    this.power[g] = mean(w, o + c[POWER]!);
    this.smClock[g] = mean(w, o + c[SM_CLOCK]!);
    const sm = mean(w, o + c[SM_ACTIVE]!);
    this.activity[g] = sm === sm ? sm : mean(w, o + c[UTIL]!) / 100;
    this.slowdown[g] = w.last[o + c[SLOWDOWN]!]!;
    const last = w.last[o + c[CLOCK_EVENTS]!]!;
    const max = w.max[o + c[CLOCK_EVENTS]!]!;
    this.clockEvents[g] = (last === last ? last : 0) | (max > 0 ? max : 0);
    if (w.startMs !== previous + w.lengthMs) this.historyFrom[g] = w.startMs;
    const slot = g * this.depth + (Math.floor(w.startMs / w.lengthMs) % this.depth);
    this.historyTemp[slot] = this.temp[g]!;
    this.historyPower[slot] = this.power[g]!;
    if (this.passOf[g] !== this.passNo) {
      this.passOf[g] = this.passNo;
      if (this.passCount >= this.pass.length) this.pass = resized(this.pass, this.pass.length * 2, 0);
      this.pass[this.passCount++] = g;
    }
    if (w.startMs > this.passStart) this.passStart = w.startMs;
  }

  /** Ends the pass: fills `judged` and `judgedEndMs`, and starts the next pass. */
  closePass(): void {
    let n = 0;
    if (this.judged.length < this.passCount) this.judged = new Int32Array(this.pass.length);
    for (let i = 0; i < this.passCount; i++) {
      const g = this.pass[i]!;
      if (this.start[g] === this.passStart) this.judged[n++] = g;
    }
    this.judgedCount = n;
    this.judgedEndMs = n > 0 ? this.passStart + this.lengthMs : NaN;
    this.passCount = 0;
    this.passStart = -Infinity;
    this.passNo++;
  }

  /** Mean temperature of the GPU's window that started at `startMs`, NaN when the history does not hold it. */
  tempAt(g: number, startMs: number): number {
    const slot = this.slotOf(g, startMs);
    return slot < 0 ? NaN : this.historyTemp[slot]!;
  }

  /** Mean power of the GPU's window that started at `startMs`, NaN when the history does not hold it. */
  powerAt(g: number, startMs: number): number {
    const slot = this.slotOf(g, startMs);
    return slot < 0 ? NaN : this.historyPower[slot]!;
  }

  /** Forgets the GPU's windows and history (its id goes to another GPU). */
  forgetGpu(g: number): void {
    if (g >= this.start.length) return;
    this.start[g] = NaN;
    this.historyFrom[g] = NaN;
  }

  private slotOf(g: number, startMs: number): number {
    if (g >= this.start.length) return -1;
    const newest = this.start[g]!;
    // NaN bounds (no window yet) compare false: not held.
    if (!(startMs >= this.historyFrom[g]! && startMs <= newest && newest - startMs < this.depth * this.lengthMs))
      return -1;
    return g * this.depth + (Math.floor(startMs / this.lengthMs) % this.depth);
  }

  /** Judges windows of this length from now on; the history restarts. */
  private adopt(w: ClosedWindow): void {
    for (const m of WINDOW_METRICS) {
      if (w.column[m]! < 0)
        throw new Error(
          `the window core must keep statistics of every metric in WINDOW_METRICS; ${METRIC_NAMES[m]} is missing`,
        );
    }
    this.lengthMs = w.lengthMs;
    this.depth = Math.ceil(this.historyMs / w.lengthMs) + 2;
    const n = this.start.length * this.depth;
    this.historyFrom.fill(NaN);
    this.historyTemp = new Float32Array(n);
    this.historyPower = new Float32Array(n);
  }

  private growGpus(n: number): void {
    const size = grownCapacity(this.start.length, n);
    this.start = resized(this.start, size, NaN);
    this.temp = resized(this.temp, size, 0);
    this.power = resized(this.power, size, 0);
    this.smClock = resized(this.smClock, size, 0);
    this.activity = resized(this.activity, size, 0);
    this.slowdown = resized(this.slowdown, size, 0);
    this.clockEvents = resized(this.clockEvents, size, 0);
    this.passOf = resized(this.passOf, size, 0);
    this.historyFrom = resized(this.historyFrom, size, NaN);
    this.historyTemp = resized(this.historyTemp, size * this.depth, 0);
    this.historyPower = resized(this.historyPower, size * this.depth, 0);
  }
}

function mean(w: ClosedWindow, i: number): number {
  const n = w.count[i]!;
  return n > 0 ? w.sum[i]! / n : NaN;
}
