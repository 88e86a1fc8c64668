import { rackAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt } from './format.js';
import type { PartitionState } from './partition-state.js';
import type { RackPowerSwingRule } from './rules/rack-power.js';

const ALERTNAME = 'RackPowerSwing';

/**
 * A rack whose summed power swings: over span_ms, the sum of the absolute changes of the rack's power between
 * consecutive windows, per second (its total variation), reaches max_w_per_s. The rack's power is the sum of its
 * judged GPUs' window means; a GPU counts in a change only where both windows hold it, so a GPU joining or leaving is
 * no swing. One job starting, stopping or checkpointing moves the rack's power once (and back) and stays under the
 * default; power oscillating up and down does not. Swings faster than the window length (10 s) average out in the
 * window means and are not seen. A warning: the power delivery and the facility see it before the GPUs do.
 */
export class RackPowerSwingDetector implements Detector {
  readonly name = 'rack_power_swing';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  /** Per step back in the span: the rack's change of power (W) from the window before. */
  private change = new Float64Array(0);

  constructor(
    private readonly rule: RackPowerSwingRule,
    private readonly state: PartitionState,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule, 'rack');
    this.tracks = [this.track];
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    const { windows, byRack, topology } = this.state;
    if (windows.judgedCount > 0) {
      const len = windows.lengthMs;
      const steps = Math.max(1, Math.round(this.rule.span_ms / len));
      if (this.change.length !== steps) this.change = new Float64Array(steps);
      const at = windows.judgedEndMs;
      for (let rack = 0; rack < byRack.groups; rack++) {
        const from = byRack.start[rack]!;
        const to = byRack.start[rack + 1]!;
        if (to - from < this.rule.min_gpus) {
          if (this.track.engaged(rack)) this.track.clear(rack, at, emit);
          continue;
        }
        this.change.fill(0);
        for (let i = from; i < to; i++) {
          const g = byRack.members[i]!;
          const now = windows.start[g]!;
          let later = windows.powerAt(g, now);
          for (let k = 0; k < steps; k++) {
            const earlier = windows.powerAt(g, now - (k + 1) * len);
            if (later === later && earlier === earlier) this.change[k]! += later - earlier;
            later = earlier;
          }
        }
        let variation = 0;
        let largest = 0;
        for (let k = 0; k < steps; k++) {
          const c = Math.abs(this.change[k]!);
          variation += c;
          if (c > largest) largest = c;
        }
        const wPerS = variation / ((steps * len) / 1000);
        if (!(wPerS >= this.rule.max_w_per_s)) {
          if (this.track.engaged(rack)) this.track.clear(rack, at, emit);
          continue;
        }
        const cluster = topology.rackCluster[rack]!;
        const rackName = topology.rackName[rack]!;
        this.track.observe(
          rack,
          true,
          at,
          rackAlertLabels(cluster, rackName, ALERTNAME, this.rule.severity, 'hardware'),
          {
            summary: `Rack ${rackName} (${cluster}): power swinging ${fmt(wPerS / 1000)} kW/s over ${duration(this.rule.span_ms)}`,
            description:
              `The summed power of the rack's ${to - from} reporting GPUs moved by ${fmt(variation / 1000)} kW in ${duration(steps * len)} ` +
              `(largest step ${fmt(largest / 1000)} kW per ${duration(len)}); threshold ${fmt(this.rule.max_w_per_s / 1000)} kW/s. ` +
              "Large synchronous swings stress the rack's power shelves and the facility feed: look for a job whose GPUs stall and resume together.",
            value: fmt(wPerS, 0),
            threshold: fmt(this.rule.max_w_per_s, 0),
          },
          emit,
        );
      }
    }
    this.track.advance(watermarkMs, emit);
  }
}
