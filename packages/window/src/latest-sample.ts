/**
 * The newest stored event time per GPU: the cheap half of sample-identity deduplication. A sample newer than its
 * GPU's newest is certainly new. Anything else — out of order, a replay under a new message id — may repeat a stored
 * sample and must be checked against storage first. So must every sample of a GPU that this process has not yet
 * `seed`ed with what storage holds (after a start, the store may already have newer samples than anything seen).
 */
export class LatestSample {
  /** -Infinity: never seen; NaN: seen, waiting for its seed; else the newest known stored ts. */
  private ts = new Float64Array(1024).fill(-Infinity);

  /** True when the sample is certainly new (its GPU is seeded and `ts` is newer than all it knows); records it. */
  advance(gpuId: number, ts: number): boolean {
    if (gpuId >= this.ts.length) this.grow(gpuId + 1);
    const newest = this.ts[gpuId]!;
    if (newest === -Infinity) {
      this.ts[gpuId] = NaN;
      return false;
    }
    if (ts > newest) {
      this.ts[gpuId] = ts;
      return true;
    }
    return false;
  }

  /** Whether the GPU still needs its seed from storage. */
  unseeded(gpuId: number): boolean {
    return gpuId < this.ts.length && Number.isNaN(this.ts[gpuId]);
  }

  /** Raises the GPU's newest known ts to `ts` (the newest stored sample, or a sample just confirmed new). */
  seed(gpuId: number, ts: number): void {
    if (gpuId >= this.ts.length) this.grow(gpuId + 1);
    const newest = this.ts[gpuId]!;
    if (Number.isNaN(newest) || ts > newest) this.ts[gpuId] = ts;
  }

  private grow(n: number): void {
    let size = this.ts.length;
    while (size < n) size *= 2;
    const next = new Float64Array(size).fill(-Infinity);
    next.set(this.ts);
    this.ts = next;
  }
}
