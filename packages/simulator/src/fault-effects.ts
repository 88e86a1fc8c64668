import { faultParam, faultTargetName, validateFault, type Fault } from './faults.js';
import { GPUS_PER_RACK, GPUS_PER_TRAY, type Topology } from './topology.js';

/** An overheating GPU's cooling degrades over this long; a rack's coolant warms over RACK_COOLING_RAMP_MS. */
export const OVERHEAT_RAMP_MS = 60_000;
export const RACK_COOLING_RAMP_MS = 120_000;

/** The counters a fault changes at one instant (ECC errors, a driver reload). */
export interface FaultEventSink {
  addDoubleBitErrors(gpu: number, count: number): void;
  /** A driver reload of GPUs [first, end): volatile counters restart from 0. */
  resetVolatileCounters(first: number, end: number): void;
}

/** A fault checked against the topology, its target as dense ids: GPUs [firstGpu, endGpu), a host, a rack. */
interface ResolvedFault {
  readonly fault: Fault;
  readonly firstGpu: number;
  readonly endGpu: number;
  readonly host: number;
  readonly rack: number;
  /** The kind's parameter (or its default); 0 for kinds without one. */
  readonly param: number;
}

/**
 * The faults of a run, turned each tick into per-GPU, per-host and per-rack modifiers that the GPU model reads. The
 * modifier arrays hold neutral values (1 or 0) except where a fault is active at the current tick.
 */
export class FaultEffects {
  /** Multiplier of the die-to-coolant thermal resistance (1 = healthy cooling). */
  readonly coolingFactor: Float32Array;
  /** Multiplier of the SM clock a fail-slow GPU can reach (1 = healthy). */
  readonly clockDerate: Float32Array;
  readonly stalled: Uint8Array;
  readonly missing: Uint8Array;
  /** Xid in effect (0 = none). */
  readonly xid: Uint16Array;
  /** Xid the driver logs this tick, as an event (0 = none): an Xid storm. */
  readonly xidLogged: Uint16Array;
  /** Whether any GPU logs an Xid this tick. */
  xidStorming = false;
  /** Per host: sends nothing this tick. */
  readonly offline: Uint8Array;
  /** Per host: how far its clock runs ahead (ms), added to its messages' ts. */
  readonly clockAheadMs: Float64Array;
  /** Per rack: coolant inlet rise (°C). */
  readonly inletRiseC: Float32Array;
  /** NVLink links inactive. */
  readonly linksDown: Uint8Array;
  /** The NVLink fabric is stuck in progress. */
  readonly fabricStuck: Uint8Array;
  /** Extra corrected ECC errors per second. */
  readonly sbeStormPerS: Float32Array;
  /** Idle, with no job and no compute domain. */
  readonly idle: Uint8Array;
  private readonly resolved: readonly ResolvedFault[];
  /** Per fault: ECC errors already added, or 1 once a counter reset has happened. */
  private readonly progress: Float64Array;
  private dirty = false;

  constructor(topology: Topology, faults: readonly Fault[]) {
    this.coolingFactor = new Float32Array(topology.gpuCount).fill(1);
    this.clockDerate = new Float32Array(topology.gpuCount).fill(1);
    this.stalled = new Uint8Array(topology.gpuCount);
    this.missing = new Uint8Array(topology.gpuCount);
    this.xid = new Uint16Array(topology.gpuCount);
    this.xidLogged = new Uint16Array(topology.gpuCount);
    this.offline = new Uint8Array(topology.hostCount);
    this.clockAheadMs = new Float64Array(topology.hostCount);
    this.inletRiseC = new Float32Array(topology.racks.length);
    this.linksDown = new Uint8Array(topology.gpuCount);
    this.fabricStuck = new Uint8Array(topology.gpuCount);
    this.sbeStormPerS = new Float32Array(topology.gpuCount);
    this.idle = new Uint8Array(topology.gpuCount);
    this.resolved = faults.map((f) => resolve(topology, validateFault(f)));
    this.progress = new Float64Array(faults.length);
  }

  /** Sets the modifiers for the tick `offsetMs` after the start and applies the instant events due by then. */
  apply(offsetMs: number, events: FaultEventSink): void {
    if (this.resolved.length === 0) return;
    if (this.dirty) this.clear();
    for (let i = 0; i < this.resolved.length; i++) {
      const r = this.resolved[i]!;
      const { startMs, endMs } = r.fault;
      if (offsetMs < startMs) continue;
      this.applyEvents(i, r, offsetMs, events);
      if (offsetMs >= endMs) continue;
      this.dirty = true;
      const elapsed = offsetMs - startMs;
      switch (r.fault.kind) {
        case 'overheat': {
          const factor = 1 + (r.param - 1) * Math.min(1, elapsed / OVERHEAT_RAMP_MS);
          this.coolingFactor.fill(factor, r.firstGpu, r.endGpu);
          break;
        }
        case 'stall':
          this.stalled.fill(1, r.firstGpu, r.endGpu);
          break;
        case 'straggler':
          this.clockDerate.fill(1 - r.param, r.firstGpu, r.endGpu);
          break;
        case 'xid':
          this.xid.fill(r.param, r.firstGpu, r.endGpu);
          break;
        case 'xid_storm':
          this.xidLogged.fill(r.param, r.firstGpu, r.endGpu);
          this.xidStorming = true;
          break;
        case 'gpu_missing':
          this.missing.fill(1, r.firstGpu, r.endGpu);
          break;
        case 'offline':
        case 'counter_reset':
          this.offline[r.host] = 1;
          break;
        case 'clock_skew':
          this.clockAheadMs[r.host] = r.param * 1000;
          break;
        case 'rack_cooling':
          this.inletRiseC[r.rack] = r.param * Math.min(1, elapsed / RACK_COOLING_RAMP_MS);
          break;
        case 'nvlink_down':
          this.linksDown.fill(r.param, r.firstGpu, r.endGpu);
          break;
        case 'fabric_stuck':
          this.fabricStuck.fill(1, r.firstGpu, r.endGpu);
          break;
        case 'ecc_storm':
          this.sbeStormPerS.fill(r.param, r.firstGpu, r.endGpu);
          break;
        case 'idle_rack':
          this.idle.fill(1, r.firstGpu, r.endGpu);
          break;
        case 'ecc_dbe':
          break;
      }
    }
  }

  /** One-off changes to counters: ECC increments spread over the window, and a reload at its start. */
  private applyEvents(i: number, r: ResolvedFault, offsetMs: number, events: FaultEventSink): void {
    const { kind, startMs, endMs } = r.fault;
    if (kind === 'ecc_dbe') {
      const count = r.param;
      const window = endMs - startMs;
      const due =
        Number.isFinite(window) && window > 0
          ? Math.min(count, Math.floor(((offsetMs - startMs) * count) / window) + 1)
          : count;
      const added = this.progress[i]!;
      if (due > added) {
        for (let gpu = r.firstGpu; gpu < r.endGpu; gpu++) events.addDoubleBitErrors(gpu, due - added);
        this.progress[i] = due;
      }
    } else if (kind === 'counter_reset' && this.progress[i] === 0) {
      events.resetVolatileCounters(r.firstGpu, r.endGpu);
      this.progress[i] = 1;
    }
  }

  private clear(): void {
    this.coolingFactor.fill(1);
    this.clockDerate.fill(1);
    this.stalled.fill(0);
    this.missing.fill(0);
    this.xid.fill(0);
    this.xidLogged.fill(0);
    this.xidStorming = false;
    this.offline.fill(0);
    this.clockAheadMs.fill(0);
    this.inletRiseC.fill(0);
    this.linksDown.fill(0);
    this.fabricStuck.fill(0);
    this.sbeStormPerS.fill(0);
    this.idle.fill(0);
    this.dirty = false;
  }
}

function resolve(topology: Topology, fault: Fault): ResolvedFault {
  const param = faultParam(fault) ?? 0;
  if ('rack' in fault) {
    const rack = topology.rackId(fault.rack);
    if (rack === undefined) {
      throw new RangeError(
        `fault ${fault.kind}: no rack ${JSON.stringify(fault.rack)} (racks: ${describe(topology.racks)})`,
      );
    }
    return { fault, firstGpu: rack * GPUS_PER_RACK, endGpu: (rack + 1) * GPUS_PER_RACK, host: -1, rack, param };
  }
  const host = topology.hostId(fault.host);
  if (host === undefined) {
    throw new RangeError(
      `fault ${fault.kind}: no host ${JSON.stringify(fault.host)} (hosts: ${describe(topology.hosts)})`,
    );
  }
  const rack = topology.rackOfHost(host);
  const gpu = 'gpu' in fault ? fault.gpu : undefined;
  if (gpu === undefined)
    return { fault, firstGpu: host * GPUS_PER_TRAY, endGpu: (host + 1) * GPUS_PER_TRAY, host, rack, param };
  if (gpu >= GPUS_PER_TRAY) {
    throw new RangeError(
      `fault ${fault.kind} on ${faultTargetName(fault)}: a compute tray has GPUs 0..${GPUS_PER_TRAY - 1}`,
    );
  }
  const first = host * GPUS_PER_TRAY + gpu;
  return { fault, firstGpu: first, endGpu: first + 1, host, rack, param };
}

function describe(names: readonly string[]): string {
  return names.length <= 2 ? names.join(', ') : `${names[0]} … ${names[names.length - 1]}`;
}
