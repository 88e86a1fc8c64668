import { TOPOLOGY_ALERTNAMES } from '@kiln/alerts';
import type { AbsenceRule } from './rules/absence.js';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels, hostAlertLabels, rackAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, gpuPlace } from './format.js';
import type { PartitionState } from './partition-state.js';

export const ABSENCE_ALERTNAMES = {
  gpu: TOPOLOGY_ALERTNAMES.gpuMissing,
  host: TOPOLOGY_ALERTNAMES.hostSilent,
  rack: TOPOLOGY_ALERTNAMES.rackSilent,
} as const;

/**
 * Members gone quiet while their container goes on, judged in event time on every closing pass, so a replay finds
 * them too:
 * - GpuMissing: a GPU absent from its host's messages for gpu_missing.after_ms of the host's event time;
 * - HostSilent: a host silent for host_silent.after_ms while its rack goes on;
 * - RackSilent: a whole rack silent for rack_silent.after_ms while the partition's other racks go on.
 * A container's event time is the second-newest of its members' newest samples (the newest when it has fewer than three
 * members), so one host with a clock running ahead cannot make the rest of its rack look silent. When everything stops, no
 * container goes on and nothing here fires: that is PartitionSilent's (wall-clock) case, one alert for all.
 *
 * After such a spell (a NATS restart, a network blip, the aggregator starting over) the agents come back one by one,
 * each replaying its spool: in event time the first back make the rest look silent for the whole spell, though their
 * samples are seconds away. So while the partition is live (its event time within after_ms of the wall clock), a host
 * or a rack is silent only if, besides, nothing of it has arrived for after_ms of wall time since the partition
 * started hearing its hosts again. A replay far behind the wall clock is judged in event time alone, as living
 * through it was.
 */
export class AbsenceDetector implements Detector {
  readonly name = 'absence';
  readonly tracks: readonly AlertTrack[];
  private readonly gpuTrack: AlertTrack;
  private readonly hostTrack: AlertTrack;
  private readonly rackTrack: AlertTrack;
  /** Per rack: newest and second-newest host event time, hosts, and the wall time its latest message arrived. */
  private rackNewest = new Float64Array(16);
  private rackSecond = new Float64Array(16);
  private rackHosts = new Int32Array(16);
  private rackArrivalWall = new Float64Array(16);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rules: { readonly gpu: AbsenceRule; readonly host: AbsenceRule; readonly rack: AbsenceRule },
    private readonly state: PartitionState,
  ) {
    const noTiming = { for_ms: 0, keep_firing_for_ms: 0 };
    this.gpuTrack = new AlertTrack(ABSENCE_ALERTNAMES.gpu, noTiming);
    this.hostTrack = new AlertTrack(ABSENCE_ALERTNAMES.host, noTiming, 'host');
    this.rackTrack = new AlertTrack(ABSENCE_ALERTNAMES.rack, noTiming, 'rack');
    this.tracks = [this.gpuTrack, this.hostTrack, this.rackTrack];
  }

  onWindowsClosed(_watermarkMs: number, emit: EmitAlert): void {
    this.rackTimes();
    if (this.rules.gpu.enabled) this.judgeGpus(emit);
    if (this.rules.host.enabled) this.judgeHosts(emit);
    if (this.rules.rack.enabled) this.judgeRacks(emit);
  }

  private rackTimes(): void {
    const { topology } = this.state;
    const racks = topology.rackCount;
    if (this.rackNewest.length < racks) {
      this.rackNewest = new Float64Array(2 * racks);
      this.rackSecond = new Float64Array(2 * racks);
      this.rackHosts = new Int32Array(2 * racks);
      this.rackArrivalWall = new Float64Array(2 * racks);
    }
    this.rackNewest.fill(-Infinity, 0, racks);
    this.rackSecond.fill(-Infinity, 0, racks);
    this.rackHosts.fill(0, 0, racks);
    this.rackArrivalWall.fill(-Infinity, 0, racks);
    for (let h = 0; h < topology.hostCount; h++) {
      const r = topology.hostRack[h]!;
      const ts = topology.hostLastTs[h]!;
      this.rackHosts[r]!++;
      if (topology.hostArrivalWall[h]! > this.rackArrivalWall[r]!)
        this.rackArrivalWall[r] = topology.hostArrivalWall[h]!;
      if (ts > this.rackNewest[r]!) {
        this.rackSecond[r] = this.rackNewest[r]!;
        this.rackNewest[r] = ts;
      } else if (ts > this.rackSecond[r]!) this.rackSecond[r] = ts;
    }
  }

  /**
   * Whether a member whose latest message arrived at wall time `lastArrivalWall` has gone unheard for `afterMs`, as far
   * as the wall clock can tell: always when the partition (at event time `eventTs`) is not live, else only if nothing
   * of it arrived for afterMs since the partition started hearing its hosts again.
   */
  private unheard(lastArrivalWall: number, eventTs: number, afterMs: number): boolean {
    const { arrivalWall, resumedWall } = this.state.topology;
    if (!(arrivalWall - eventTs < afterMs)) return true;
    return arrivalWall - Math.max(lastArrivalWall, resumedWall) >= afterMs;
  }

  /** The rack's event time: its second-newest host (the newest when it has fewer than three). */
  private rackTime(r: number): number {
    return this.rackHosts[r]! >= 3 ? this.rackSecond[r]! : this.rackNewest[r]!;
  }

  private judgeGpus(emit: EmitAlert): void {
    const { topology } = this.state;
    const after = this.rules.gpu.after_ms;
    for (let g = 0; g < topology.gpuCount; g++) {
      if (!topology.isKnown(g)) continue;
      const hostTs = topology.hostLastTs[topology.hostOf[g]!]!;
      const lag = hostTs - topology.gpuLastTs[g]!;
      if (lag < after) {
        if (this.gpuTrack.engaged(g)) this.gpuTrack.clear(g, hostTs, emit);
        continue;
      }
      const labels = gpuAlertLabels(
        this.registry,
        g,
        topology.uuid[g]!,
        ABSENCE_ALERTNAMES.gpu,
        this.rules.gpu.severity,
        'availability',
      );
      this.gpuTrack.observe(
        g,
        true,
        hostTs,
        labels,
        {
          summary: `${gpuPlace(labels)} is missing from its host's messages for ${duration(lag)}`,
          description:
            `The host still reports, but not this GPU since ${new Date(topology.gpuLastTs[g]!).toISOString()} (after ${duration(after)} it is missing). ` +
            `A GPU that fell off the bus (Xid 79) or that the agent cannot read: check the host's kernel log; a reboot is usually needed.`,
          last_seen: new Date(topology.gpuLastTs[g]!).toISOString(),
          silent_for_s: String(Math.round(lag / 1000)),
        },
        emit,
      );
    }
  }

  private judgeHosts(emit: EmitAlert): void {
    const { topology } = this.state;
    const after = this.rules.host.after_ms;
    for (let h = 0; h < topology.hostCount; h++) {
      const r = topology.hostRack[h]!;
      const rackTs = this.rackTime(r);
      const hostTs = topology.hostLastTs[h]!;
      const lag = rackTs - hostTs;
      if (!(lag >= after && this.unheard(topology.hostArrivalWall[h]!, rackTs, after))) {
        if (this.hostTrack.engaged(h)) this.hostTrack.clear(h, rackTs, emit);
        continue;
      }
      const cluster = topology.rackCluster[r]!;
      const rack = topology.rackName[r]!;
      const host = topology.hostName[h]!;
      this.hostTrack.observe(
        h,
        true,
        rackTs,
        hostAlertLabels(cluster, rack, host, ABSENCE_ALERTNAMES.host, this.rules.host.severity, 'availability'),
        {
          summary: `Host ${host} (rack ${rack}, ${cluster}) has sent nothing for ${duration(lag)} while its rack goes on`,
          description:
            `Last sample ${new Date(hostTs).toISOString()}; the rest of rack ${rack} reports up to ${new Date(rackTs).toISOString()}. ` +
            `The host is down, its agent stopped, or it is cut off from NATS (its agent spools and replays once it is back).`,
          last_seen: new Date(hostTs).toISOString(),
          silent_for_s: String(Math.round(lag / 1000)),
        },
        emit,
      );
    }
  }

  private judgeRacks(emit: EmitAlert): void {
    const { topology } = this.state;
    const racks = topology.rackCount;
    let newest = -Infinity;
    let second = -Infinity;
    for (let r = 0; r < racks; r++) {
      const ts = this.rackNewest[r]!;
      if (ts > newest) {
        second = newest;
        newest = ts;
      } else if (ts > second) second = ts;
    }
    const partitionTs = racks >= 3 ? second : newest;
    const after = this.rules.rack.after_ms;
    for (let r = 0; r < racks; r++) {
      const rackTs = this.rackNewest[r]!;
      const lag = partitionTs - rackTs;
      if (!(lag >= after && this.unheard(this.rackArrivalWall[r]!, partitionTs, after))) {
        if (this.rackTrack.engaged(r)) this.rackTrack.clear(r, partitionTs, emit);
        continue;
      }
      const cluster = topology.rackCluster[r]!;
      const rack = topology.rackName[r]!;
      this.rackTrack.observe(
        r,
        true,
        partitionTs,
        rackAlertLabels(cluster, rack, ABSENCE_ALERTNAMES.rack, this.rules.rack.severity, 'availability'),
        {
          summary: `Rack ${rack} (${cluster}) has gone silent: no host has sent anything for ${duration(lag)}`,
          description:
            `Last sample of the rack ${new Date(rackTs).toISOString()}; the partition's other racks report up to ${new Date(partitionTs).toISOString()}. ` +
            `A whole rack going dark points at its power, its top-of-rack network, or its agents all at once.`,
          last_seen: new Date(rackTs).toISOString(),
          silent_for_s: String(Math.round(lag / 1000)),
        },
        emit,
      );
    }
  }
}
