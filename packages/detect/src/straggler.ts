import type { StragglerRule } from './rules/straggler.js';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import { ClockEvent, THERMAL_CLOCK_EVENTS } from '@kiln/wire';
import type { Detector, EmitAlert } from './detector.js';
import { fmt, gpuPlace } from './format.js';
import type { PartitionState } from './partition-state.js';
import { madInPlace, medianInPlace, robustZ } from './robust-stats.js';
import { PeerGroupKind } from './topology.js';

const ALERTNAME = 'GpuStraggler';

/** The window metrics compared with the peer group, in the order evidence reports them. */
const METRICS = [
  { name: 'sm_clock_mhz', unit: ' MHz', digits: 0 },
  { name: 'sm_active', unit: '', digits: 3 },
  { name: 'power_w', unit: ' W', digits: 0 },
] as const;

/** Clock cuts that have their own alerts (thermal slowdown, power brake): such a GPU is slow for a known reason. */
const EXPLAINED_SLOWDOWN = THERMAL_CLOCK_EVENTS | ClockEvent.HW_POWER_BRAKE;

/**
 * A fail-slow GPU: its SM clock, SM activity or power sits well below its peer group's median (its job, else its
 * rack): robust z = 0.6745·(x − median)/MAD at or below −z and at least min_drop below the median, for `for_ms`
 * (minutes by default). Only a busy group is compared (median activity at least peer_busy), so a collective dip
 * never makes stragglers; GPUs idle or stalled (activity under min_activity) and GPUs whose clocks are cut for a
 * reason with its own alert (thermal slowdown, power brake) are not stragglers.
 */
export class StragglerDetector implements Detector {
  readonly name = 'straggler';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  private scratch = new Float64Array(64);
  /** Per metric: the group's median and MAD in this pass. */
  private readonly median = new Float64Array(METRICS.length);
  private readonly mad = new Float64Array(METRICS.length);
  private readonly peers = new Int32Array(METRICS.length);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: StragglerRule,
    private readonly state: PartitionState,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onWindowsClosed(_watermarkMs: number, emit: EmitAlert): void {
    const { windows, byPeerGroup: groups } = this.state;
    if (windows.judgedCount === 0) return;
    const at = windows.judgedEndMs;
    const columns = [windows.smClock, windows.activity, windows.power] as const;
    for (let group = 0; group < groups.groups; group++) {
      const from = groups.start[group]!;
      const to = groups.start[group + 1]!;
      if (to === from) continue;
      for (let m = 0; m < METRICS.length; m++) this.groupStats(m, columns[m]!, groups.members, from, to);
      const busy = this.peers[1]! - 1 >= this.rule.min_peers && this.median[1]! >= this.rule.peer_busy;
      for (let i = from; i < to; i++) {
        const gpu = groups.members[i]!;
        const a = windows.activity[gpu]!;
        const judged = busy && a >= this.rule.min_activity && (windows.clockEvents[gpu]! & EXPLAINED_SLOWDOWN) === 0;
        const worst = judged ? this.worstMetric(gpu, columns) : -1;
        if (worst < 0) {
          if (this.track.engaged(gpu)) this.track.clear(gpu, at, emit);
          continue;
        }
        this.raise(gpu, group, worst, columns[worst]![gpu]!, at, emit);
      }
    }
  }

  /** Median, MAD and count of one metric over the group's GPUs that read it. */
  private groupStats(m: number, column: Float64Array, members: Int32Array, from: number, to: number): void {
    if (this.scratch.length < to - from) this.scratch = new Float64Array(2 * (to - from));
    let n = 0;
    for (let i = from; i < to; i++) {
      const v = column[members[i]!]!;
      if (v === v) this.scratch[n++] = v;
    }
    const median = medianInPlace(this.scratch, n);
    this.median[m] = median;
    this.mad[m] = n > 0 ? madInPlace(this.scratch, n, median) : NaN;
    this.peers[m] = n;
  }

  /** The metric on which the GPU lags its peers the most, or -1 when it lags on none (with hysteresis once held). */
  private worstMetric(gpu: number, columns: readonly Float64Array[]): number {
    const held = this.track.held(gpu);
    const zLimit = held ? -this.rule.exit_z : -this.rule.z;
    const dropLimit = held ? this.rule.min_drop / 2 : this.rule.min_drop;
    let worst = -1;
    let worstZ = Infinity;
    for (let m = 0; m < METRICS.length; m++) {
      const x = columns[m]![gpu]!;
      const median = this.median[m]!;
      if (x !== x || !(median > 0) || this.peers[m]! - 1 < this.rule.min_peers) continue;
      const z = robustZ(x, median, this.mad[m]!);
      if (z <= zLimit && (median - x) / median >= dropLimit && z < worstZ) {
        worst = m;
        worstZ = z;
      }
    }
    return worst;
  }

  private raise(gpu: number, group: number, m: number, x: number, at: number, emit: EmitAlert): void {
    const { topology } = this.state;
    const metric = METRICS[m]!;
    const median = this.median[m]!;
    const mad = this.mad[m]!;
    const z = robustZ(x, median, mad);
    const base = gpuAlertLabels(this.registry, gpu, topology.uuid[gpu]!, ALERTNAME, this.rule.severity, 'utilization');
    const labels =
      topology.groupKind[group] === PeerGroupKind.job ? { ...base, job: topology.groupName[group]! } : base;
    const peersName = topology.describeGroup(group);
    const drop = (median - x) / median;
    const show = (v: number): string => `${fmt(v, metric.digits)}${metric.unit}`;
    this.track.observe(
      gpu,
      true,
      at,
      labels,
      {
        summary: `${gpuPlace(labels)} is a straggler: ${metric.name} ${show(x)}, ${fmt(drop * 100, 0)} % below its ${peersName} peers (median ${show(median)})`,
        description:
          `${metric.name}=${show(x)} against the median ${show(median)} (MAD ${fmt(mad, metric.digits + 1)}) of ${this.peers[m]! - 1} peers in ${peersName}: ` +
          `robust z ${Number.isFinite(z) ? fmt(z, 1) : '-inf'} (fires at or below -${fmt(this.rule.z, 1)} with at least ${fmt(this.rule.min_drop * 100, 0)} % below the median). ` +
          `One slow GPU slows its whole synchronous job; check its clocks, power and cooling, and drain it if it persists.`,
        metric: metric.name,
        value: fmt(x, metric.digits),
        peer_median: fmt(median, metric.digits),
        peer_mad: fmt(mad, metric.digits + 1),
        z: Number.isFinite(z) ? fmt(z, 2) : '-inf',
        peer_group: peersName,
      },
      emit,
    );
  }
}
