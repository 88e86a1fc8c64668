import type { AlertTrack } from './alert-track.js';

/** What a GPU alert names: its place and the GPU itself (labels cluster, host, gpu and uuid). */
export function gpuIdentity(cluster: string, host: string, gpu: number, uuid: string): string {
  return `${cluster}\u0000${host}\u0000${gpu}\u0000${uuid}`;
}

/**
 * Firing alerts of GPUs the partition forgot (GpuRegistry.reclaimIdle), by the GPU they name, until it reports again.
 *
 * An alert belongs to the GPU its labels name, not to the dense id that tracked it. So a forgotten GPU's firing alert
 * is neither resolved (a pulled GPU's GpuMissing page stays up until someone silences it) nor handed to the next holder
 * of its id. When the same GPU — same cluster, host, index and uuid — reports again, it takes its alerts back and its
 * detectors carry them on: GpuMissing resolves because the GPU is back, a fatal Xid still reported keeps firing
 * without paging twice. A different GPU in the same slot (a replacement, another uuid) is not the old one: it starts
 * with no alert, and the old GPU's alerts stay as they are.
 */
export class RetiredEpisodes {
  private readonly byGpu = new Map<string, { track: AlertTrack; key: string }[]>();

  /** GPUs with retired alerts. */
  get size(): number {
    return this.byGpu.size;
  }

  add(identity: string, track: AlertTrack, key: string): void {
    const list = this.byGpu.get(identity);
    if (list === undefined) this.byGpu.set(identity, [{ track, key }]);
    else list.push({ track, key });
  }

  /** Gives the GPU now at `gpuId` the alerts retired under its identity, if any. */
  resume(identity: string, gpuId: number): void {
    const list = this.byGpu.get(identity);
    if (list === undefined) return;
    this.byGpu.delete(identity);
    for (const { track, key } of list) track.resume(gpuId, key);
  }
}
