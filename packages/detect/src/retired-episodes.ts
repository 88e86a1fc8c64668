import type { AlertTrack } from './alert-track.js';

/** What a GPU alert names: its place and the GPU itself (labels cluster, host, gpu and uuid). */
export function gpuIdentity(cluster: string, host: string, gpu: number, uuid: string): string {
  return `gpu\u0000${cluster}\u0000${host}\u0000${gpu}\u0000${uuid}`;
}

/** What a host alert names (labels cluster and host). */
export function hostIdentity(cluster: string, host: string): string {
  return `host\u0000${cluster}\u0000${host}`;
}

/** What a rack alert names (labels cluster and rack). */
export function rackIdentity(cluster: string, rack: string): string {
  return `rack\u0000${cluster}\u0000${rack}`;
}

/**
 * Firing alerts of GPUs the partition forgot (GpuRegistry.reclaimIdle), by the GPU they name, until it reports again;
 * and after a restart, the partition's firing alerts (Detection.restore), by the GPU, host or rack they name, until it
 * reports.
 *
 * An alert belongs to the GPU its labels name, not to the dense id that tracked it. So a forgotten GPU's firing alert
 * is neither resolved (a pulled GPU's GpuMissing page stays up until someone silences it) nor handed to the next holder
 * of its id. When the same GPU — same cluster, host, index and uuid — reports again, it takes its alerts back and its
 * detectors carry them on: GpuMissing resolves because the GPU is back, a fatal Xid still reported keeps firing
 * without paging twice. A different GPU in the same slot (a replacement, another uuid) is not the old one: it starts
 * with no alert, and the old GPU's alerts stay as they are.
 */
export class RetiredEpisodes {
  private readonly byIdentity = new Map<string, { track: AlertTrack; key: string }[]>();

  /** GPUs, hosts and racks with retired alerts. */
  get size(): number {
    return this.byIdentity.size;
  }

  add(identity: string, track: AlertTrack, key: string): void {
    const list = this.byIdentity.get(identity);
    if (list === undefined) this.byIdentity.set(identity, [{ track, key }]);
    else list.push({ track, key });
  }

  /** Gives the GPU, host or rack now at `id` the alerts retired under its identity, if any. */
  resume(identity: string, id: number): void {
    const list = this.byIdentity.get(identity);
    if (list === undefined) return;
    this.byIdentity.delete(identity);
    for (const { track, key } of list) track.resume(id, key);
  }
}
