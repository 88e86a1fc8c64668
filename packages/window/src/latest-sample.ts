/**
 * The newest event time seen per GPU: the cheap half of sample-identity deduplication. A sample newer than its GPU's
 * newest is certainly new; anything else (out of order, a replay under a new message id, or the first sample of a GPU
 * since this process started) may repeat a stored sample and must be checked against storage before it is stored.
 */
export class LatestSample {
  private ts = new Float64Array(1024).fill(-Infinity);

  /**
   * Records `ts` for the GPU; returns true when the sample is certainly new: the GPU was seen before by this process
   * and `ts` is newer than all its earlier samples.
   */
  advance(gpuId: number, ts: number): boolean {
    if (gpuId >= this.ts.length) this.grow(gpuId + 1);
    const newest = this.ts[gpuId]!;
    if (ts > newest) this.ts[gpuId] = ts;
    return ts > newest && newest !== -Infinity;
  }

  private grow(n: number): void {
    let size = this.ts.length;
    while (size < n) size *= 2;
    const next = new Float64Array(size).fill(-Infinity);
    next.set(this.ts);
    this.ts = next;
  }
}
