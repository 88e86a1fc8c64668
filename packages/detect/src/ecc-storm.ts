import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import { CounterRate } from './counter-rate.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt, gpuPlace } from './format.js';
import type { EccStormRule } from './rules/ecc-storm.js';

const SBE = METRIC_ID.ecc_sbe_vol;
const ALERTNAME = 'GpuCorrectableErrorStorm';

/**
 * A storm of corrected (single-bit) ECC errors: ecc_sbe_vol rose faster than max_errors_per_s over window_ms. ECC
 * corrects them, so the GPU looks healthy to a health check, but a storm costs bandwidth and often precedes an
 * uncorrectable error or a row remap. A slow trickle (a few an hour) and a driver reload's counter restart are not
 * a storm. Judged once per window; it holds until a window's rate is below the threshold.
 */
export class EccStormDetector implements Detector {
  readonly name = 'ecc_storm';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  private readonly rate: CounterRate;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: EccStormRule,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
    this.rate = new CounterRate(rule.window_ms);
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const count = batch.values[row * METRIC_COUNT + SBE]!;
    if (count !== count) return;
    const ts = batch.eventTs[row]!;
    const rate = this.rate.observe(gpuId, count, ts);
    if (!(rate > this.rule.max_errors_per_s)) {
      if (rate === rate && this.track.engaged(gpuId)) this.track.clear(gpuId, ts, emit);
      return;
    }
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, this.rule.severity, 'hardware');
    this.track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)} corrects ${fmt(rate)} ECC errors/s`,
        description:
          `ecc_sbe_vol rose by ${fmt(rate)}/s over ${duration(this.rule.window_ms)} (threshold ${fmt(this.rule.max_errors_per_s)}/s; now ${fmt(count, 0)}). ` +
          'ECC corrects these, so the GPU passes health checks, but a storm of corrected errors slows memory and often precedes ' +
          'an uncorrectable error: plan to drain the GPU and run its memory diagnostics.',
        value: fmt(rate),
        threshold: fmt(this.rule.max_errors_per_s),
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }

  forgetGpu(gpuId: number): void {
    this.rate.forgetGpu(gpuId);
  }
}
