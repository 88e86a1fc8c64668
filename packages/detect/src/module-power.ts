import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt, gpuPlace } from './format.js';
import type { ModulePowerRule } from './rules/module-power.js';

const POWER = METRIC_ID.module_power_w;
const LIMIT = METRIC_ID.module_power_limit_w;
const ALERTNAME = 'GpuModulePowerAtLimit';

/**
 * A Grace-Blackwell module (superchip) drawing at its power limit, sustained: module_power_w at or above
 * limit_fraction of module_power_limit_w (default_limit_w where the limit is not reported) for `for`. Leaves the state
 * below exit_fraction of the limit. A warning: the module is held back (its GPUs clock down to stay in the budget), not
 * broken; a power spike of a few seconds is no sustained limit. GPUs without module power (not Grace-Blackwell) are not
 * judged.
 */
export class ModulePowerDetector implements Detector {
  readonly name = 'module_power';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: ModulePowerRule,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const power = batch.values[o + POWER]!;
    if (power !== power) return;
    const reported = batch.values[o + LIMIT]!;
    const limit = reported > 0 ? reported : this.rule.default_limit_w;
    const { track } = this;
    const atLimit = power >= (track.held(gpuId) ? this.rule.exit_fraction : this.rule.limit_fraction) * limit;
    const ts = batch.eventTs[row]!;
    if (!atLimit) {
      if (track.engaged(gpuId)) track.clear(gpuId, ts, emit);
      return;
    }
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, this.rule.severity, 'hardware');
    track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `The module of ${gpuPlace(labels)} draws ${fmt(power, 0)} W, at its ${fmt(limit, 0)} W limit`,
        description:
          `module_power_w=${fmt(power, 0)} >= ${fmt(this.rule.limit_fraction * 100, 0)} % of module_power_limit_w ${fmt(limit, 0)}` +
          `${reported > 0 ? '' : ' (configured default)'} for over ${duration(this.rule.for_ms)}. The module's GPUs and CPU share this budget: ` +
          "at the limit the GPUs clock down. Check the job's power profile and the module power limit.",
        value: fmt(power, 0),
        limit: fmt(limit, 0),
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }
}
