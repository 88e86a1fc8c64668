import { METRIC_ID } from '@kiln/wire';
import type { ClosedWindow } from '@kiln/window';

const TEMP = METRIC_ID.temp_c;
const POWER = METRIC_ID.power_w;
const UTIL = METRIC_ID.util_pct;
const SM_ACTIVE = METRIC_ID.sm_active;
const SM_CLOCK = METRIC_ID.sm_clock_mhz;
const SLOWDOWN = METRIC_ID.slowdown_temp_c;
const CLOCK_EVENTS = METRIC_ID.clock_events;

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
  // History: per GPU `depth` slots of mean temperature and power, slot = (start / length) mod depth.
  private depth = 0;
  private historyStart: Float64Array = new Float64Array(0);
  private historyTemp: Float64Array = new Float64Array(0);
  private historyPower: Float64Array = new Float64Array(0);
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
      this.adopt(w.lengthMs); // the first window, or a shorter one than so far
    }
    const g = w.gpuId;
    if (g >= this.start.length) this.growGpus(g + 1);
    const o = w.offset;
    this.start[g] = w.startMs;
    this.temp[g] = mean(w, o + TEMP);
    this.power[g] = mean(w, o + POWER);
    this.smClock[g] = mean(w, o + SM_CLOCK);
    const sm = mean(w, o + SM_ACTIVE);
    this.activity[g] = sm === sm ? sm : mean(w, o + UTIL) / 100;
    this.slowdown[g] = w.last[o + SLOWDOWN]!;
    const last = w.last[o + CLOCK_EVENTS]!;
    const max = w.max[o + CLOCK_EVENTS]!;
    this.clockEvents[g] = (last === last ? last : 0) | (max > 0 ? max : 0);
    const slot = g * this.depth + (Math.floor(w.startMs / w.lengthMs) % this.depth);
    this.historyStart[slot] = w.startMs;
    this.historyTemp[slot] = this.temp[g]!;
    this.historyPower[slot] = this.power[g]!;
    if (this.passOf[g] !== this.passNo) {
      this.passOf[g] = this.passNo;
      if (this.passCount >= this.pass.length) this.pass = grown(this.pass, this.pass.length * 2);
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

  private slotOf(g: number, startMs: number): number {
    if (this.depth === 0 || g >= this.start.length) return -1;
    const slot = g * this.depth + (Math.floor(startMs / this.lengthMs) % this.depth);
    return this.historyStart[slot] === startMs ? slot : -1;
  }

  /** Judges windows of this length from now on; the history restarts. */
  private adopt(lengthMs: number): void {
    this.lengthMs = lengthMs;
    this.depth = Math.ceil(this.historyMs / lengthMs) + 2;
    const n = this.start.length * this.depth;
    this.historyStart = new Float64Array(n).fill(NaN);
    this.historyTemp = new Float64Array(n);
    this.historyPower = new Float64Array(n);
  }

  private growGpus(n: number): void {
    let size = this.start.length;
    while (size < n) size *= 2;
    const f64 = (a: Float64Array, fill: number): Float64Array => {
      const b = new Float64Array(size);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    this.start = f64(this.start, NaN);
    this.temp = f64(this.temp, 0);
    this.power = f64(this.power, 0);
    this.smClock = f64(this.smClock, 0);
    this.activity = f64(this.activity, 0);
    this.slowdown = f64(this.slowdown, 0);
    this.clockEvents = grown(this.clockEvents, size);
    this.passOf = grown(this.passOf, size);
    const d = this.depth;
    const hs = new Float64Array(size * d).fill(NaN);
    hs.set(this.historyStart);
    this.historyStart = hs;
    this.historyTemp = f64Sized(this.historyTemp, size * d);
    this.historyPower = f64Sized(this.historyPower, size * d);
  }
}

function mean(w: ClosedWindow, i: number): number {
  const n = w.count[i]!;
  return n > 0 ? w.sum[i]! / n : NaN;
}

function grown(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

function f64Sized(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
