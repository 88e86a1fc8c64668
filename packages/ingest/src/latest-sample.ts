import { grownCapacity, resized, type GpuStateOwner } from '@kiln/window';

/** How a sample relates to what is known of its GPU (LatestSample.advance). */
export const SampleNovelty = {
  /** Newer than every known sample of a GPU whose stored history is known: certainly new. */
  NEW: 0,
  /** The GPU's stored history is not known yet (first samples since the process started): in order, most likely new,
   *  but storage may hold it already. */
  UNVERIFIED: 1,
  /** Not newer than a known sample: out of order, or a replay of one under a new message id. */
  NOT_NEWER: 2,
} as const;
export type SampleNovelty = (typeof SampleNovelty)[keyof typeof SampleNovelty];

/**
 * The newest stored event time per GPU: the cheap half of sample-identity deduplication. A sample newer than its
 * GPU's newest is certainly new. Anything else — out of order, a replay under a new message id — may repeat a stored
 * sample and must be checked against storage first. So must every sample of a GPU that this process has not yet
 * `seed`ed with what storage holds (after a start, the store may already have newer samples than anything seen).
 */
export class LatestSample implements GpuStateOwner {
  /** Newest event time seen or stored, per GPU (-Infinity: never seen). */
  private ts = new Float64Array(1024).fill(-Infinity);
  /** 1 once storage's newest sample of the GPU has been taken into account (`seed`). */
  private seeded = new Uint8Array(1024);
  /** Storage's newest sample of the GPU when it was seeded (-Infinity: none). */
  private stored = new Float64Array(1024).fill(-Infinity);

  /** Classifies a sample of the GPU and records its time. */
  advance(gpuId: number, ts: number): SampleNovelty {
    if (gpuId >= this.ts.length) this.grow(gpuId + 1);
    if (!(ts > this.ts[gpuId]!)) return SampleNovelty.NOT_NEWER;
    this.ts[gpuId] = ts;
    return this.seeded[gpuId] === 1 ? SampleNovelty.NEW : SampleNovelty.UNVERIFIED;
  }

  /** Whether the GPU still needs its seed from storage. */
  unseeded(gpuId: number): boolean {
    return gpuId >= this.seeded.length || this.seeded[gpuId] === 0;
  }

  /** Takes storage's newest sample of the GPU into account (-Infinity when storage has none from the time asked). */
  seed(gpuId: number, storedNewest: number): void {
    if (gpuId >= this.ts.length) this.grow(gpuId + 1);
    if (storedNewest > this.ts[gpuId]!) this.ts[gpuId] = storedNewest;
    this.stored[gpuId] = storedNewest;
    this.seeded[gpuId] = 1;
  }

  /** Storage's newest sample of the GPU as of its seed: a sample up to it may be stored already. */
  storedNewest(gpuId: number): number {
    return gpuId < this.stored.length ? this.stored[gpuId]! : -Infinity;
  }

  /** Forgets the GPU: the next holder of its id starts unseen and unseeded, so storage is asked about it afresh. */
  forgetGpu(gpuId: number): void {
    if (gpuId >= this.ts.length) return;
    this.ts[gpuId] = -Infinity;
    this.seeded[gpuId] = 0;
    this.stored[gpuId] = -Infinity;
  }

  private grow(n: number): void {
    const size = grownCapacity(this.ts.length, n);
    this.ts = resized(this.ts, size, -Infinity);
    this.seeded = resized(this.seeded, size, 0);
    this.stored = resized(this.stored, size, -Infinity);
  }
}
