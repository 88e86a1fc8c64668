import { TOPOLOGY_ALERTNAMES } from '@kiln/alerts';
import type { RackCoolingRule } from './rules/rack-cooling.js';
import { grownCapacity, resized, type GpuRegistry } from '@kiln/window';
import { rackAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import { THERMAL_CLOCK_EVENTS } from '@kiln/wire';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt } from './format.js';
import type { PartitionState } from './partition-state.js';

export const RACK_COOLING_ALERTNAME = TOPOLOGY_ALERTNAMES.rackCooling;
/** GPUs named in the description, hottest first. */
const NAMED_GPUS = 5;

/**
 * A rack-wide cooling event (CDU or facility water): one rack-level alert, labelled with cluster and rack only, when
 * at the same time at least min_gpus and min_fraction of the rack's reporting GPUs are affected, i.e.
 * - heating without load: mean temperature up by rise_c over lookback_ms while the power stayed within
 *   power_tolerance_w over the lookback and settle_ms before it (a job starting heats a rack too, but with power), or
 * - hot: at or above slowdown_temp_c − hot_margin_c, or held back by a thermal clock event.
 * One overheating GPU, or one host, stays a per-GPU matter. While the rack alert fires, the alerter's inhibition
 * (source alertname RackCoolingFailure, equal cluster and rack) mutes the rack's per-GPU thermal pages.
 */
export class RackCoolingDetector implements Detector {
  readonly name = 'rack_cooling';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  /** Per judged GPU of the rack in hand: its temperature rise over the lookback (NaN when unknown). */
  private rise = new Float64Array(64);
  /** Per rack: 1 when it may be losing its cooling (see suspects). */
  private suspect = new Uint8Array(16);
  private hottest = new Int32Array(NAMED_GPUS);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: RackCoolingRule,
    /** Used when a GPU reports no slowdown_temp_c. */
    private readonly defaultSlowdownC: number,
    private readonly state: PartitionState,
  ) {
    this.track = new AlertTrack(RACK_COOLING_ALERTNAME, rule, 'rack');
    this.tracks = [this.track];
  }

  /**
   * The rack may be losing its cooling, and its alert is not firing yet: at its latest pass at least exit_ratio of
   * the GPUs a rack-wide event needs were hot or had risen by rise_c over the lookback (with or without their power:
   * that takes lookback_ms + settle_ms of history to judge), or its alert is pending. A rack with one hot GPU is not.
   */
  suspects(cluster: string, rack: string): boolean {
    const id = this.state.topology.findRack(cluster, rack);
    return id >= 0 && !this.track.firing(id) && (this.track.pending(id) || this.suspect[id] === 1);
  }

  onWindowsClosed(_watermarkMs: number, emit: EmitAlert): void {
    const { windows, byRack: racks } = this.state;
    if (windows.judgedCount === 0) return;
    const at = windows.judgedEndMs;
    for (let rack = 0; rack < racks.groups; rack++) {
      const from = racks.start[rack]!;
      const to = racks.start[rack + 1]!;
      if (to === from) continue;
      let reporting = 0;
      let heating = 0;
      let hot = 0;
      let affected = 0;
      /** Heating or hot, the power aside: what a rack-wide event may be, before its power history can tell. */
      let warming = 0;
      if (this.rise.length < to - from) this.rise = new Float64Array(2 * (to - from));
      for (let i = from; i < to; i++) {
        const gpu = racks.members[i]!;
        const temp = windows.temp[gpu]!;
        this.rise[i - from] = NaN;
        if (temp !== temp) continue;
        reporting++;
        const isHeating = this.heating(gpu, i - from);
        const isHot = this.hot(gpu, temp);
        if (isHeating) heating++;
        if (isHot) hot++;
        if (isHeating || isHot) affected++;
        if (isHot || this.rise[i - from]! >= this.rule.rise_c) warming++;
      }
      const needed = Math.max(this.rule.min_gpus, Math.ceil(this.rule.min_fraction * reporting));
      if (rack >= this.suspect.length)
        this.suspect = resized(this.suspect, grownCapacity(this.suspect.length, rack + 1), 0);
      this.suspect[rack] = warming >= Math.ceil(this.rule.exit_ratio * needed) ? 1 : 0;
      const active = this.track.held(rack) ? affected >= Math.ceil(this.rule.exit_ratio * needed) : affected >= needed;
      if (!active) {
        if (this.track.engaged(rack)) this.track.clear(rack, at, emit);
        continue;
      }
      this.raise(rack, from, to, { reporting, heating, hot, affected, needed }, at, emit);
    }
  }

  /** Heating without load: up by rise_c over the lookback while the power held steady (with the settle time before). */
  private heating(gpu: number, index: number): boolean {
    const { windows } = this.state;
    const len = windows.lengthMs;
    const now = windows.start[gpu]!;
    const back = Math.round(this.rule.lookback_ms / len) * len;
    const rise = windows.temp[gpu]! - windows.tempAt(gpu, now - back);
    this.rise[index] = rise;
    if (!(rise >= this.rule.rise_c)) return false;
    const steps = Math.round((this.rule.lookback_ms + this.rule.settle_ms) / len);
    let low = Infinity;
    let high = -Infinity;
    for (let k = 0; k <= steps; k++) {
      const p = windows.powerAt(gpu, now - k * len);
      if (p !== p) return false; // a gap, or power not read: steadiness unknown
      if (p < low) low = p;
      if (p > high) high = p;
    }
    return high - low <= this.rule.power_tolerance_w;
  }

  private hot(gpu: number, temp: number): boolean {
    const { windows } = this.state;
    const reported = windows.slowdown[gpu]!;
    const limit = reported === reported ? reported : this.defaultSlowdownC;
    return temp >= limit - this.rule.hot_margin_c || (windows.clockEvents[gpu]! & THERMAL_CLOCK_EVENTS) !== 0;
  }

  private raise(
    rack: number,
    from: number,
    to: number,
    n: { reporting: number; heating: number; hot: number; affected: number; needed: number },
    at: number,
    emit: EmitAlert,
  ): void {
    const { topology, windows, byRack } = this.state;
    // Text only: this runs for a rack in an event, not on the healthy path.
    const cluster = topology.rackCluster[rack]!;
    const rackName = topology.rackName[rack]!;
    const labels = rackAlertLabels(cluster, rackName, RACK_COOLING_ALERTNAME, this.rule.severity, 'thermal');
    const rises = Array.from(this.rise.subarray(0, to - from))
      .filter((r) => r === r)
      .sort((a, b) => a - b);
    const medianRise = rises.length > 0 ? rises[rises.length >> 1]! : NaN;
    const named = this.hottestGpus(byRack.members, from, to);
    this.track.observe(
      rack,
      true,
      at,
      labels,
      {
        summary: `Rack ${rackName} (${cluster}) is losing cooling: ${n.affected} of ${n.reporting} GPUs heating or hot at once`,
        description:
          `${n.heating} GPUs heated up without a rise in power (median rise ${medianRise === medianRise ? `${fmt(medianRise)} °C` : 'unknown'} over ${duration(this.rule.lookback_ms)}) and ` +
          `${n.hot} are within ${fmt(this.rule.hot_margin_c)} °C of their slowdown threshold or thermally throttled; ` +
          `${n.needed} affected GPUs make a rack-wide event. Check the rack's CDU and facility water. Hottest: ` +
          named
            .map((g) => `${this.registry.hostOf(g)}/${this.registry.gpuIndexOf(g)} ${fmt(windows.temp[g]!)} °C`)
            .join(', ') +
          `. Per-GPU thermal alerts of this rack are inhibited while this fires.`,
        affected_gpus: String(n.affected),
        reporting_gpus: String(n.reporting),
        heating_gpus: String(n.heating),
        hot_gpus: String(n.hot),
        threshold: String(n.needed),
        median_rise_c: medianRise === medianRise ? fmt(medianRise) : 'unknown',
      },
      emit,
    );
  }

  /** Up to NAMED_GPUS of the rack's judged GPUs, hottest first. */
  private hottestGpus(members: Int32Array, from: number, to: number): number[] {
    const { temp } = this.state.windows;
    let count = 0;
    for (let i = from; i < to; i++) {
      const g = members[i]!;
      const t = temp[g]!;
      if (t !== t) continue;
      let j = Math.min(count, NAMED_GPUS - 1);
      if (count === NAMED_GPUS && !(t > temp[this.hottest[j]!]!)) continue;
      while (j > 0 && t > temp[this.hottest[j - 1]!]!) {
        this.hottest[j] = this.hottest[j - 1]!;
        j--;
      }
      this.hottest[j] = g;
      if (count < NAMED_GPUS) count++;
    }
    return Array.from(this.hottest.subarray(0, count));
  }
}
