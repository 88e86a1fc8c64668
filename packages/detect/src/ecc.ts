import type { EccRule } from './rules/ecc.js';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import { grownCapacity, resized, type GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt, gpuPlace } from './format.js';

const DBE = METRIC_ID.ecc_dbe_vol;
const REMAPPED = METRIC_ID.remapped_rows_unc;
const ALERTNAME = 'GpuEccDoubleBitErrors';

/**
 * Double-bit (uncorrectable) ECC errors: the volatile counter ecc_dbe_vol increased. The counter counts since the
 * driver was loaded, so a value lower than the previous one means the driver reloaded and the counter restarted: the
 * increase is then the new value itself (errors since the restart), never a negative delta, and a reset to 0 is no
 * error. The first value seen of a GPU is its baseline; a sample older than the last one compared is skipped. Fires on the increase (`for` 0 by default) and resolves once
 * no new error has come for keep_firing_for.
 */
export class EccDoubleBitDetector implements Detector {
  readonly name = 'ecc_dbe';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  private previous = new Float64Array(64).fill(NaN);
  /** Event time of `previous`: an older sample arriving late is not compared (it would look like a restart). */
  private previousTs = new Float64Array(64);
  /** Errors counted in the current episode, per GPU. */
  private episodeErrors = new Float64Array(64);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: EccRule,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const count = batch.values[o + DBE]!;
    if (count !== count) return;
    if (gpuId >= this.previous.length) this.grow(gpuId + 1);
    const ts = batch.eventTs[row]!;
    const previous = this.previous[gpuId]!;
    if (previous === previous && ts <= this.previousTs[gpuId]!) return;
    this.previous[gpuId] = count;
    this.previousTs[gpuId] = ts;
    const increase = previous !== previous ? 0 : count >= previous ? count - previous : count;
    if (increase === 0) {
      if (this.track.engaged(gpuId)) this.track.clear(gpuId, ts, emit);
      return;
    }
    const errors = (this.episodeErrors[gpuId] =
      (this.track.inEpisode(gpuId) ? this.episodeErrors[gpuId]! : 0) + increase);
    const remapped = batch.values[o + REMAPPED]!;
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, this.rule.severity, 'hardware');
    this.track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)} had ${fmt(errors, 0)} uncorrectable (double-bit) ECC error${errors === 1 ? '' : 's'}`,
        description:
          `ecc_dbe_vol rose by ${fmt(increase, 0)} to ${fmt(count, 0)}${count < previous ? ' (after a counter restart)' : ''}` +
          `${remapped === remapped ? `; remapped_rows_unc=${fmt(remapped, 0)}` : ''}. Uncorrectable memory errors kill the job; ` +
          `drain the GPU and reset it so the row remap takes effect. Resolves after ${duration(this.rule.keep_firing_for_ms)} without a new error.`,
        value: fmt(count, 0),
        increase: fmt(errors, 0),
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }

  /** Forgets the GPU's baseline: the next holder of its id starts from its own first value. */
  forgetGpu(gpuId: number): void {
    if (gpuId >= this.previous.length) return;
    this.previous[gpuId] = NaN;
    this.previousTs[gpuId] = 0;
    this.episodeErrors[gpuId] = 0;
  }

  private grow(n: number): void {
    const size = grownCapacity(this.previous.length, n);
    this.previous = resized(this.previous, size, NaN);
    this.previousTs = resized(this.previousTs, size, 0);
    this.episodeErrors = resized(this.episodeErrors, size, 0);
  }
}
