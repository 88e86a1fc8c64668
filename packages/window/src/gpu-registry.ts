import { MAX_GPUS_PER_MESSAGE } from '@kiln/wire';
import { grownCapacity, resized } from './capacity.js';
import type { GpuStateOwner } from './gpu-state-owner.js';

export interface GpuRegistryOptions {
  /**
   * reclaimIdle forgets a GPU from which no sample has arrived for this long, in the partition's event time
   * (default 1 h: far past GpuMissing and HostSilent, which page within a minute).
   */
  readonly forgetAfterMs?: number;
}

/** How often reclaimIdle looks, as a share of the horizon: a GPU is forgotten within 1/32 of the horizon past it. */
const SCANS_PER_HORIZON = 64;
/** Times of the latest looks kept: they span at least two horizons. */
const SCAN_TIMES = 2 * SCANS_PER_HORIZON;

/**
 * Dense integer ids for GPUs, so that all per-GPU state can live in typed arrays. A GPU is (cluster, host, gpu index);
 * hosts are looked up through a two-level map keyed by the strings the decoder already produced, so a lookup allocates
 * nothing. Names are kept once per host, not per GPU.
 *
 * GPUs that leave the fleet are forgotten (reclaimIdle): their state owners drop what they kept, and the id goes back
 * to a free list from which the next new GPU takes it, so ids stay dense at the fleet's peak size however many GPUs
 * come and go. A host goes when its last GPU does.
 */
export class GpuRegistry {
  private readonly forgetAfterMs: number;
  private readonly hosts = new Map<string, Map<string, number>>();
  private readonly owners: GpuStateOwner[] = [];
  // Per host id.
  /** hostId * 8 + gpu index → gpuId + 1 (0 = none). */
  private hostGpu = new Int32Array(64 * MAX_GPUS_PER_MESSAGE);
  private hostLive = new Uint8Array(64);
  private readonly hostCluster: string[] = [];
  private readonly hostRack: string[] = [];
  private readonly hostName: string[] = [];
  private hostCount = 0;
  private readonly freeHosts: number[] = [];
  // Per GPU id.
  /** The GPU's host id; -1 while the id is free. */
  private gpuHost = new Int32Array(64).fill(-1);
  private gpuIndex = new Uint8Array(64);
  /** 1 when a sample arrived since reclaimIdle last looked. */
  private touched = new Uint8Array(64);
  /**
   * The look of reclaimIdle that last saw the GPU touched, by number: small integers, so that the look over every GPU
   * loads no float, and allocates nothing even before the JIT has compiled it.
   */
  private seenScan = new Int32Array(64);
  private idCount = 0;
  private live = 0;
  /** Free ids, oldest first (a ring): an id stays unused as long as possible before it is given again. */
  private free = new Int32Array(64);
  private freeHead = 0;
  private freeCount = 0;
  private nextScanMs = -Infinity;
  /** Looks so far, and the event time of the latest SCAN_TIMES of them (look k at k % SCAN_TIMES). */
  private scans = 0;
  private readonly scanTimes = new Float64Array(SCAN_TIMES);

  constructor(options: GpuRegistryOptions = {}) {
    const after = options.forgetAfterMs ?? 3_600_000;
    if (!(after > 0)) throw new RangeError(`forgetAfterMs must be a positive number of ms, got ${after}`);
    this.forgetAfterMs = after;
  }

  /** GPUs tracked now. */
  get size(): number {
    return this.live;
  }

  /** Ids handed out so far, tracked or free: per-GPU state spans ids 0..idSpan-1. */
  get idSpan(): number {
    return this.idCount;
  }

  /** Whether the id belongs to a tracked GPU (not free). */
  isTracked(gpuId: number): boolean {
    return gpuId < this.idCount && this.gpuHost[gpuId]! >= 0;
  }

  clusterOf(gpuId: number): string {
    return this.hostCluster[this.gpuHost[gpuId]!]!;
  }

  rackOf(gpuId: number): string {
    return this.hostRack[this.gpuHost[gpuId]!]!;
  }

  hostOf(gpuId: number): string {
    return this.hostName[this.gpuHost[gpuId]!]!;
  }

  gpuIndexOf(gpuId: number): number {
    return this.gpuIndex[gpuId]!;
  }

  /** The GPU's host as a dense id (a forgotten host's id goes to the next new host). */
  hostIdOf(gpuId: number): number {
    return this.gpuHost[gpuId]!;
  }

  /** Hosts tracked now. */
  get hostsTracked(): number {
    return this.hostCount - this.freeHosts.length;
  }

  /** The dense id of a tracked host, -1 when there is none (assigns nothing, unlike `id`). */
  findHost(cluster: string, host: string): number {
    return this.hosts.get(cluster)?.get(host) ?? -1;
  }

  /** The id of GPU `index` of host `hostId`, -1 when the host has no such GPU tracked. */
  gpuOf(hostId: number, index: number): number {
    return this.hostGpu[hostId * MAX_GPUS_PER_MESSAGE + index]! - 1;
  }

  /** Adds state to drop when a GPU is forgotten (see GpuStateOwner). */
  addStateOwner(owner: GpuStateOwner): void {
    this.owners.push(owner);
  }

  /** The GPU's dense id, assigning one on first sight (a freed one when there is). */
  id(cluster: string, rack: string, host: string, gpu: number): number {
    const hostId = this.hostId(cluster, rack, host);
    const slot = hostId * MAX_GPUS_PER_MESSAGE + gpu;
    const existing = this.hostGpu[slot]!;
    const id = existing !== 0 ? existing - 1 : this.assign(hostId, gpu, slot);
    this.touched[id] = 1;
    return id;
  }

  /**
   * Forgets every GPU from which no sample has arrived for the horizon (forgetAfterMs) of the partition's event time
   * `nowEventMs` (its newest sample's time, which stands still while nothing arrives: a partition that hears nothing
   * forgets nothing). Called from a periodic tick; looks at most 64 times per horizon and allocates nothing when there
   * is nothing to forget. Returns how many GPUs were forgotten.
   *
   * Arrival, not the samples' own times, is what counts: a host replaying an old spool is not gone. An id stays with
   * its GPU for at least the horizon of event time after its last sample arrived, so whatever still holds the id for
   * that sample (a batch awaiting storage) must be done before event time has moved that far; in a catch-up replay
   * event time runs fast, so the horizon must stay well above the event time a few batches span.
   */
  reclaimIdle(nowEventMs: number): number {
    if (!Number.isFinite(nowEventMs) || nowEventMs < this.nextScanMs) return 0;
    this.nextScanMs = nowEventMs + this.forgetAfterMs / SCANS_PER_HORIZON;
    const scan = this.scans++;
    this.scanTimes[scan % SCAN_TIMES] = nowEventMs;
    // The latest look more than the horizon ago: a GPU last seen touched at or before it is idle. Looks are at least
    // 1/64 of the horizon apart, so it is among the kept ones, or older than all of them.
    const cutoff = nowEventMs - this.forgetAfterMs;
    let idleUpTo = scan - 1;
    while (idleUpTo >= 0 && idleUpTo > scan - SCAN_TIMES && this.scanTimes[idleUpTo % SCAN_TIMES]! >= cutoff)
      idleUpTo--;
    let forgotten = 0;
    for (let id = 0; id < this.idCount; id++) {
      if (this.touched[id] === 1) {
        this.touched[id] = 0;
        this.seenScan[id] = scan;
      } else if (this.seenScan[id]! <= idleUpTo && this.gpuHost[id]! >= 0) {
        this.forget(id);
        forgotten++;
      }
    }
    return forgotten;
  }

  private hostId(cluster: string, rack: string, host: string): number {
    let byHost = this.hosts.get(cluster);
    if (byHost === undefined) {
      byHost = new Map();
      this.hosts.set(cluster, byHost);
    }
    let id = byHost.get(host);
    if (id === undefined) {
      id = this.freeHosts.pop() ?? this.hostCount++;
      byHost.set(host, id);
      if (id >= this.hostLive.length) this.growHosts(id + 1);
      this.hostCluster[id] = cluster;
      this.hostName[id] = host;
      this.hostRack[id] = rack;
    } else if (this.hostRack[id] !== rack) {
      this.hostRack[id] = rack; // racks move only when a host is re-cabled: keep the latest so labels stay true
    }
    return id;
  }

  private assign(hostId: number, gpu: number, slot: number): number {
    let id: number;
    if (this.freeCount > 0) {
      id = this.free[this.freeHead]!;
      this.freeHead = (this.freeHead + 1) % this.free.length;
      this.freeCount--;
    } else {
      id = this.idCount++;
      if (id >= this.gpuHost.length) this.growGpus(id + 1);
    }
    this.hostGpu[slot] = id + 1;
    this.hostLive[hostId]!++;
    this.gpuHost[id] = hostId;
    this.gpuIndex[id] = gpu;
    this.live++;
    return id;
  }

  private forget(id: number): void {
    for (const owner of this.owners) owner.forgetGpu(id);
    const hostId = this.gpuHost[id]!;
    this.hostGpu[hostId * MAX_GPUS_PER_MESSAGE + this.gpuIndex[id]!] = 0;
    this.gpuHost[id] = -1;
    this.live--;
    this.free[(this.freeHead + this.freeCount) % this.free.length] = id;
    this.freeCount++;
    if (--this.hostLive[hostId]! === 0) this.forgetHost(hostId);
  }

  private forgetHost(hostId: number): void {
    const cluster = this.hostCluster[hostId]!;
    const byHost = this.hosts.get(cluster)!;
    byHost.delete(this.hostName[hostId]!);
    if (byHost.size === 0) this.hosts.delete(cluster);
    this.hostCluster[hostId] = this.hostRack[hostId] = this.hostName[hostId] = '';
    this.freeHosts.push(hostId);
  }

  private growGpus(n: number): void {
    const size = grownCapacity(this.gpuHost.length, n);
    this.gpuHost = resized(this.gpuHost, size, -1);
    this.gpuIndex = resized(this.gpuIndex, size, 0);
    this.touched = resized(this.touched, size, 0);
    this.seenScan = resized(this.seenScan, size, 0);
    // The ring of free ids unrolled into the larger array, oldest first.
    const free = new Int32Array(size);
    for (let i = 0; i < this.freeCount; i++) free[i] = this.free[(this.freeHead + i) % this.free.length]!;
    this.free = free;
    this.freeHead = 0;
  }

  private growHosts(n: number): void {
    const size = grownCapacity(this.hostLive.length, n);
    this.hostLive = resized(this.hostLive, size, 0);
    this.hostGpu = resized(this.hostGpu, size * MAX_GPUS_PER_MESSAGE, 0);
  }
}
