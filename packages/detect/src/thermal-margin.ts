import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { fmt, gpuPlace } from './format.js';
import type { ThermalMarginRule } from './rules/thermal-margin.js';

const MARGIN = METRIC_ID.temp_margin_c;
const TEMP = METRIC_ID.temp_c;
const ALERTNAME = 'GpuThermalMarginLow';

/**
 * The GPU's own thermal margin (temp_margin_c: degrees below its slowdown point, NVML's T.Limit, which Blackwell
 * reports in place of an absolute slowdown temperature) at or below min_margin_c. Leaves the low state only above the
 * threshold plus a hysteresis. A GPU that reports its margin but no slowdown_temp_c is judged here alone:
 * GpuTemperatureNearSlowdown would hold it to a fixed default temperature, so it leaves the GPU to this rule. Where both
 * are reported the two rules read the same distance and fire together, for the same GPU. A GPU without the field is
 * not judged here.
 */
export class ThermalMarginDetector implements Detector {
  readonly name = 'thermal_margin';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: ThermalMarginRule,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const margin = batch.values[o + MARGIN]!;
    if (margin !== margin) return;
    const { rule, track } = this;
    const low = track.held(gpuId) ? margin <= rule.min_margin_c + rule.hysteresis_c : margin <= rule.min_margin_c;
    const ts = batch.eventTs[row]!;
    if (!low) {
      if (track.engaged(gpuId)) track.clear(gpuId, ts, emit);
      return;
    }
    const temp = batch.values[o + TEMP]!;
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, rule.severity, 'thermal');
    track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)} is ${fmt(margin)} °C from its slowdown point${temp === temp ? ` at ${fmt(temp)} °C` : ''}`,
        description:
          `temp_margin_c=${fmt(margin)} (the GPU's own reading) threshold=${fmt(rule.min_margin_c)}; clears above ${fmt(rule.min_margin_c + rule.hysteresis_c)}. ` +
          'At a margin of 0 the GPU slows its clocks: check its cold plate and coolant flow.',
        value: fmt(margin),
        threshold: fmt(rule.min_margin_c),
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }
}
