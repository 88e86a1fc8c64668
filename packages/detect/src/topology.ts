import type { SampleBatch } from '@kiln/wire';

/** Kinds of peer group: GPUs of one scheduler job, or (for GPUs without a job) of one rack. */
export const PeerGroupKind = { job: 0, rack: 1 } as const;

/**
 * What one partition knows of its GPUs, hosts and racks, in dense ids and typed arrays: which host and rack each GPU
 * sits in, its peer group (its job when the sample names one, else its rack), and the newest event time seen of each
 * GPU, host and rack. Updated from every sample; learning a GPU, a host, a rack or a job allocates, a known GPU's
 * sample does not.
 */
export class PartitionTopology {
  // Per GPU (dense gpuId of the GpuRegistry).
  private known = new Uint8Array(64);
  hostOf = new Int32Array(64);
  rackOf = new Int32Array(64);
  groupOf = new Int32Array(64);
  gpuLastTs = new Float64Array(64);
  readonly uuid: string[] = [];
  /** The job string of the GPU's latest sample ('' for none). */
  private readonly job: string[] = [];
  // Per host.
  hostLastTs = new Float64Array(16);
  hostRack = new Int32Array(16);
  readonly hostName: string[] = [];
  // Per rack.
  readonly rackName: string[] = [];
  readonly rackCluster: string[] = [];
  private readonly rackGroup: number[] = [];
  // Per peer group.
  readonly groupKind: number[] = [];
  /** Job id, or rack name, of each group. */
  readonly groupName: string[] = [];
  private readonly hostIds = new Map<string, number>();
  private readonly rackIds = new Map<string, number>();
  private readonly jobGroupIds = new Map<string, number>();
  private gpuCapacity = 64;
  /** GPUs learnt so far: dense ids 0..gpuCount-1 may include ids never seen here (other partitions' GPUs). */
  gpuCount = 0;
  /** Newest event time of any sample, and samples seen: the partition's pulse. */
  newestTs = -Infinity;
  samples = 0;

  get hostCount(): number {
    return this.hostName.length;
  }

  get rackCount(): number {
    return this.rackName.length;
  }

  get groupCount(): number {
    return this.groupName.length;
  }

  /** Whether the GPU has sent a sample to this partition. */
  isKnown(gpuId: number): boolean {
    return gpuId < this.gpuCapacity && this.known[gpuId] === 1;
  }

  observe(batch: SampleBatch, row: number, gpuId: number): void {
    if (gpuId >= this.gpuCapacity) this.growGpus(gpuId + 1);
    if (this.known[gpuId] === 0) this.learnGpu(batch, row, gpuId);
    else if (batch.rack[row] !== this.rackName[this.rackOf[gpuId]!]) this.moveHost(batch, row, gpuId);
    const job = batch.job[row]!;
    if (job !== this.job[gpuId]) this.assignGroup(gpuId, job);
    this.uuid[gpuId] = batch.uuid[row]!;
    const ts = batch.ts[row]!;
    if (ts > this.gpuLastTs[gpuId]!) this.gpuLastTs[gpuId] = ts;
    const host = this.hostOf[gpuId]!;
    if (ts > this.hostLastTs[host]!) this.hostLastTs[host] = ts;
    if (ts > this.newestTs) this.newestTs = ts;
    this.samples++;
  }

  /** "job llm-pretrain-17" or "rack r0042": what a peer group is, for alert text. */
  describeGroup(group: number): string {
    return `${this.groupKind[group] === PeerGroupKind.job ? 'job' : 'rack'} ${this.groupName[group]}`;
  }

  private learnGpu(batch: SampleBatch, row: number, gpuId: number): void {
    this.known[gpuId] = 1;
    if (gpuId >= this.gpuCount) this.gpuCount = gpuId + 1;
    this.gpuLastTs[gpuId] = -Infinity;
    this.placeHost(batch, row, gpuId);
    this.job[gpuId] = '\u0000'; // never a job id, so the first sample assigns a group
  }

  private moveHost(batch: SampleBatch, row: number, gpuId: number): void {
    this.placeHost(batch, row, gpuId);
    this.assignGroup(gpuId, this.job[gpuId]!);
  }

  /** Puts the GPU on its host, and the host in the sample's rack (a host moves rack only when re-cabled). */
  private placeHost(batch: SampleBatch, row: number, gpuId: number): void {
    const cluster = batch.cluster[row]!;
    const hostKey = `${cluster}\u0000${batch.host[row]!}`;
    let host = this.hostIds.get(hostKey);
    if (host === undefined) {
      host = this.hostName.length;
      this.hostIds.set(hostKey, host);
      this.hostName.push(batch.host[row]!);
      if (host >= this.hostLastTs.length) this.growHosts(host + 1);
      this.hostLastTs[host] = -Infinity;
    }
    const rack = this.rackId(cluster, batch.rack[row]!);
    this.hostRack[host] = rack;
    this.hostOf[gpuId] = host;
    this.rackOf[gpuId] = rack;
  }

  private rackId(cluster: string, rack: string): number {
    const key = `${cluster}\u0000${rack}`;
    let id = this.rackIds.get(key);
    if (id === undefined) {
      id = this.rackName.length;
      this.rackIds.set(key, id);
      this.rackName.push(rack);
      this.rackCluster.push(cluster);
      this.rackGroup.push(this.newGroup(PeerGroupKind.rack, rack));
    }
    return id;
  }

  private assignGroup(gpuId: number, job: string): void {
    this.job[gpuId] = job;
    const rack = this.rackOf[gpuId]!;
    if (job === '') {
      this.groupOf[gpuId] = this.rackGroup[rack]!;
      return;
    }
    const cluster = this.rackCluster[rack]!;
    const key = `${cluster}\u0000${job}`;
    let group = this.jobGroupIds.get(key);
    if (group === undefined) {
      group = this.newGroup(PeerGroupKind.job, job);
      this.jobGroupIds.set(key, group);
    }
    this.groupOf[gpuId] = group;
  }

  private newGroup(kind: number, name: string): number {
    this.groupKind.push(kind);
    this.groupName.push(name);
    return this.groupName.length - 1;
  }

  private growGpus(n: number): void {
    let size = this.gpuCapacity;
    while (size < n) size *= 2;
    this.known = grow(this.known, new Uint8Array(size));
    this.hostOf = grow(this.hostOf, new Int32Array(size));
    this.rackOf = grow(this.rackOf, new Int32Array(size));
    this.groupOf = grow(this.groupOf, new Int32Array(size));
    this.gpuLastTs = grow(this.gpuLastTs, new Float64Array(size));
    this.gpuCapacity = size;
  }

  private growHosts(n: number): void {
    let size = this.hostLastTs.length;
    while (size < n) size *= 2;
    this.hostLastTs = grow(this.hostLastTs, new Float64Array(size));
    this.hostRack = grow(this.hostRack, new Int32Array(size));
  }
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
