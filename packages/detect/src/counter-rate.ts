import { grownCapacity, resized } from '@kiln/window';

/**
 * The rate of increase of one counter metric per GPU, over spans of at least `spanMs` of event time: each GPU's
 * increase is summed sample to sample from a reference time, and once the span is reached the rate (per second) is
 * given and the next span begins. A counter lower than its previous value restarted (a driver reload): the increase is
 * then the new value itself, never a negative delta. A sample not newer than the last one of its GPU is ignored.
 */
export class CounterRate {
  private last = new Float64Array(64).fill(NaN);
  private lastTs = new Float64Array(64);
  private fromTs = new Float64Array(64);
  private increase = new Float64Array(64);

  constructor(private readonly spanMs: number) {}

  /** Takes the GPU's counter `value` at event time `ts`; returns the rate (errors/s) when a span ends here, else NaN. */
  observe(gpu: number, value: number, ts: number): number {
    if (gpu >= this.last.length) this.grow(gpu + 1);
    const last = this.last[gpu]!;
    if (last !== last) {
      this.last[gpu] = value;
      this.lastTs[gpu] = this.fromTs[gpu] = ts;
      this.increase[gpu] = 0;
      return NaN;
    }
    if (ts <= this.lastTs[gpu]!) return NaN;
    const increase = (this.increase[gpu]! += value >= last ? value - last : value);
    this.last[gpu] = value;
    this.lastTs[gpu] = ts;
    const span = ts - this.fromTs[gpu]!;
    if (span < this.spanMs) return NaN;
    this.fromTs[gpu] = ts;
    this.increase[gpu] = 0;
    return (increase * 1000) / span;
  }

  /** Forgets the GPU: the next holder of its id starts from its own first value. */
  forgetGpu(gpu: number): void {
    if (gpu < this.last.length) this.last[gpu] = NaN;
  }

  private grow(n: number): void {
    const size = grownCapacity(this.last.length, n);
    this.last = resized(this.last, size, NaN);
    this.lastTs = resized(this.lastTs, size, 0);
    this.fromTs = resized(this.fromTs, size, 0);
    this.increase = resized(this.increase, size, 0);
  }
}
