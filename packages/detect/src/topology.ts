import type { SampleBatch } from '@kiln/wire';
import { grownCapacity, resized } from '@kiln/window';

/** Kinds of peer group: GPUs of one scheduler job, or (for GPUs without a job) of one rack. */
export const PeerGroupKind = { job: 0, rack: 1 } as const;

/**
 * What one partition knows of its GPUs, hosts and racks, in dense ids and typed arrays: which host and rack each GPU
 * sits in, its peer group (its job when the sample names one, else its rack), and the newest event time seen of each
 * GPU, host and rack. Updated from every sample; learning a GPU, a host, a rack or a job allocates, a known GPU's
 * sample does not. A job's group is freed, and its id given to the next new job, once no GPU runs it any more, so
 * job churn leaves nothing behind.
 */
export class PartitionTopology {
  // Per GPU (dense gpuId of the GpuRegistry).
  private known = new Uint8Array(64);
  hostOf = new Int32Array(64);
  rackOf = new Int32Array(64);
  groupOf = new Int32Array(64).fill(-1);
  gpuLastTs = new Float64Array(64);
  /** The uuid the GPU reports (one string per GPU: a sample's copy replaces it only when it differs). */
  readonly uuid: string[] = [];
  // Per host.
  hostLastTs = new Float64Array(16);
  /** Wall time the host's latest message arrived. */
  hostArrivalWall = new Float64Array(16);
  hostRack = new Int32Array(16);
  readonly hostName: string[] = [];
  // Per rack.
  readonly rackName: string[] = [];
  readonly rackCluster: string[] = [];
  private readonly rackGroup: number[] = [];
  // Per peer group.
  readonly groupKind: number[] = [];
  /** Job id, or rack name, of each group ('' for a freed job group). */
  readonly groupName: string[] = [];
  private groupMembers = new Int32Array(16);
  private readonly freeGroups: number[] = [];
  private readonly hostIds = new Map<string, number>();
  private readonly rackIds = new Map<string, number>();
  private readonly jobGroupIds = new Map<string, number>();
  private gpuCapacity = 64;
  /** GPUs learnt so far: dense ids 0..gpuCount-1 may include ids never seen here (other partitions' GPUs). */
  gpuCount = 0;
  /** Newest event time of any sample, and samples seen: the partition's pulse. */
  newestTs = -Infinity;
  /** Wall time the message being analysed arrived, and from which the partition has heard its hosts (EventClock). */
  arrivalWall = NaN;
  resumedWall = NaN;
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

  /** A sample of the GPU, at its event time (`batch.eventTs`). */
  observe(batch: SampleBatch, row: number, gpuId: number): void {
    if (gpuId >= this.gpuCapacity) this.growGpus(gpuId + 1);
    if (this.known[gpuId] === 0) this.learnGpu(batch, row, gpuId);
    else if (batch.rack[row] !== this.rackName[this.rackOf[gpuId]!]) this.moveHost(batch, row, gpuId);
    const job = batch.job[row]!;
    if (job !== this.jobOf(gpuId)) this.assignGroup(gpuId, job);
    const uuid = batch.uuid[row]!;
    if (uuid !== this.uuid[gpuId]) this.uuid[gpuId] = uuid;
    const ts = batch.eventTs[row]!;
    if (ts > this.gpuLastTs[gpuId]!) this.gpuLastTs[gpuId] = ts;
    const host = this.hostOf[gpuId]!;
    if (ts > this.hostLastTs[host]!) this.hostLastTs[host] = ts;
    this.hostArrivalWall[host] = this.arrivalWall;
    if (ts > this.newestTs) this.newestTs = ts;
    this.samples++;
  }

  /** The dense id of a rack the partition knows, -1 when it knows none such. */
  findRack(cluster: string, rack: string): number {
    return this.rackIds.get(`${cluster}\u0000${rack}`) ?? -1;
  }

  /** "job llm-pretrain-17" or "rack r0042": what a peer group is, for alert text. */
  describeGroup(group: number): string {
    return `${this.groupKind[group] === PeerGroupKind.job ? 'job' : 'rack'} ${this.groupName[group]}`;
  }

  /** Forgets the GPU (its id goes to another GPU): it leaves its peer group; its host and rack stay known. */
  forgetGpu(gpuId: number): void {
    if (!this.isKnown(gpuId)) return;
    this.known[gpuId] = 0;
    this.leaveGroup(gpuId);
    this.uuid[gpuId] = '';
    this.gpuLastTs[gpuId] = -Infinity;
  }

  /** The job id of the GPU's peer group, '' when the group is its rack's (no job). */
  private jobOf(gpuId: number): string {
    const group = this.groupOf[gpuId]!;
    return this.groupKind[group] === PeerGroupKind.job ? this.groupName[group]! : '';
  }

  private learnGpu(batch: SampleBatch, row: number, gpuId: number): void {
    this.known[gpuId] = 1;
    if (gpuId >= this.gpuCount) this.gpuCount = gpuId + 1;
    this.gpuLastTs[gpuId] = -Infinity;
    this.placeHost(batch, row, gpuId);
    this.groupOf[gpuId] = -1;
    this.assignGroup(gpuId, batch.job[row]!);
  }

  private moveHost(batch: SampleBatch, row: number, gpuId: number): void {
    const job = this.jobOf(gpuId);
    this.placeHost(batch, row, gpuId);
    this.assignGroup(gpuId, job);
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

  /** Puts the GPU in the peer group of `job` (its rack's when ''), leaving the group it was in. */
  private assignGroup(gpuId: number, job: string): void {
    this.leaveGroup(gpuId);
    const rack = this.rackOf[gpuId]!;
    let group: number;
    if (job === '') group = this.rackGroup[rack]!;
    else {
      const key = `${this.rackCluster[rack]!}\u0000${job}`;
      const found = this.jobGroupIds.get(key);
      group = found ?? this.newGroup(PeerGroupKind.job, job);
      if (found === undefined) this.jobGroupIds.set(key, group);
    }
    this.groupOf[gpuId] = group;
    this.groupMembers[group]!++;
  }

  /** Takes the GPU out of its group; a job's group left empty is freed. */
  private leaveGroup(gpuId: number): void {
    const group = this.groupOf[gpuId]!;
    if (group < 0) return;
    this.groupOf[gpuId] = -1;
    if (--this.groupMembers[group]! > 0 || this.groupKind[group] !== PeerGroupKind.job) return;
    this.jobGroupIds.delete(`${this.rackCluster[this.rackOf[gpuId]!]!}\u0000${this.groupName[group]!}`);
    this.groupName[group] = '';
    this.freeGroups.push(group);
  }

  private newGroup(kind: number, name: string): number {
    const group = this.freeGroups.pop() ?? this.groupName.length;
    this.groupKind[group] = kind;
    this.groupName[group] = name;
    if (group >= this.groupMembers.length)
      this.groupMembers = resized(this.groupMembers, grownCapacity(this.groupMembers.length, group + 1), 0);
    return group;
  }

  private growGpus(n: number): void {
    const size = grownCapacity(this.gpuCapacity, n);
    this.known = resized(this.known, size, 0);
    this.hostOf = resized(this.hostOf, size, 0);
    this.rackOf = resized(this.rackOf, size, 0);
    this.groupOf = resized(this.groupOf, size, -1);
    this.gpuLastTs = resized(this.gpuLastTs, size, 0);
    this.gpuCapacity = size;
  }

  private growHosts(n: number): void {
    const size = grownCapacity(this.hostLastTs.length, n);
    this.hostLastTs = resized(this.hostLastTs, size, 0);
    this.hostArrivalWall = resized(this.hostArrivalWall, size, NaN);
    this.hostRack = resized(this.hostRack, size, 0);
  }
}
