import type { RowRemapRule } from './rules/row-remap.js';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { fmt, gpuPlace } from './format.js';

const FAILURE = METRIC_ID.row_remap_failure;
const REMAPPED = METRIC_ID.remapped_rows_unc;
const ALERTNAME = 'GpuRowRemapFailure';

/** A GPU that reports row_remap_failure (DCGM field 395): HBM rows can no longer be remapped, the GPU needs service. */
export class RowRemapFailureDetector implements Detector {
  readonly name = 'row_remap_failure';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: RowRemapRule,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const flag = batch.values[o + FAILURE]!;
    if (flag !== flag) return;
    const ts = batch.eventTs[row]!;
    if (flag === 0) {
      if (this.track.engaged(gpuId)) this.track.clear(gpuId, ts, emit);
      return;
    }
    const remapped = batch.values[o + REMAPPED]!;
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, this.rule.severity, 'hardware');
    this.track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)} failed to remap an HBM row`,
        description:
          `row_remap_failure=1${remapped === remapped ? ` with remapped_rows_unc=${fmt(remapped, 0)}` : ''}: the GPU has no spare rows ` +
          `left for an uncorrectable memory error. Drain it and send it for service.`,
        value: '1',
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }
}
