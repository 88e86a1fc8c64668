import { MAX_GPUS_PER_MESSAGE } from '@kiln/wire';

/**
 * Dense integer ids for GPUs, so that all per-GPU state can live in typed arrays.
 * A GPU is (cluster, host, gpu index); hosts are looked up through a two-level map keyed by the strings the decoder
 * already produced, so a lookup allocates nothing.
 */
export class GpuRegistry {
  private readonly hosts = new Map<string, Map<string, number>>();
  /** hostId * 8 + gpu index → gpuId + 1 (0 = not assigned yet). */
  private hostGpu = new Int32Array(64 * MAX_GPUS_PER_MESSAGE);
  private hostCount = 0;
  private gpuCount = 0;
  readonly cluster: string[] = [];
  readonly rack: string[] = [];
  readonly host: string[] = [];
  readonly gpuIndex: number[] = [];

  get size(): number {
    return this.gpuCount;
  }

  hostId(cluster: string, host: string): number {
    let byHost = this.hosts.get(cluster);
    if (byHost === undefined) {
      byHost = new Map();
      this.hosts.set(cluster, byHost);
    }
    let id = byHost.get(host);
    if (id === undefined) {
      id = this.hostCount++;
      byHost.set(host, id);
      if (this.hostGpu.length < this.hostCount * MAX_GPUS_PER_MESSAGE) {
        const grown = new Int32Array(this.hostGpu.length * 2);
        grown.set(this.hostGpu);
        this.hostGpu = grown;
      }
    }
    return id;
  }

  /** The GPU's dense id, assigning one on first sight. */
  id(cluster: string, rack: string, host: string, gpu: number): number {
    const slot = this.hostId(cluster, host) * MAX_GPUS_PER_MESSAGE + gpu;
    const existing = this.hostGpu[slot]!;
    if (existing !== 0) {
      // Racks move only when a host is re-cabled; keep the latest so labels stay true.
      const id = existing - 1;
      if (this.rack[id] !== rack) this.rack[id] = rack;
      return id;
    }
    const id = this.gpuCount++;
    this.hostGpu[slot] = id + 1;
    this.cluster.push(cluster);
    this.rack.push(rack);
    this.host.push(host);
    this.gpuIndex.push(gpu);
    return id;
  }
}
