import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import { grownCapacity, resized, type GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt, gpuPlace } from './format.js';
import type { PartitionState } from './partition-state.js';
import type { RackRollupSpec } from './rack-rollup.js';
import type { FabricRule } from './rules/fabric.js';

export const GPU_FABRIC_ALERTNAME = 'GpuFabricNotReady';
const STATE = METRIC_ID.fabric_state;
const STATUS = METRIC_ID.fabric_status;
const CLIQUE = METRIC_ID.fabric_clique;
/** fabric_state codes (NVML's GPU fabric state). */
const NOT_SUPPORTED = 0;
const COMPLETED = 3;
const STATE_NAMES = ['not supported', 'not started', 'in progress', 'completed'] as const;

/**
 * A GPU expected in an NVLink fabric whose fabric is not ready: fabric_state is not completed, or fabric_status is not
 * success, for longer than `for`, the grace period. Expected in a fabric means: the GPU reports one (fabric_state not
 * 0, "not supported") and either runs a job, or its rack has an active compute domain (some GPU of the rack reported a
 * non-zero fabric_clique within domain_memory_ms). An idle rack that simply has no compute domain (its GPUs report
 * "not started" or "in progress" with no clique, and run nothing) is not expected in one, so it never fires there.
 */
export class FabricDetector implements Detector {
  readonly name = 'fabric';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  /** Per rack: event time a GPU of it last reported a non-zero clique (-Infinity: never). */
  private domainTs = new Float64Array(16).fill(-Infinity);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: FabricRule,
    private readonly state: PartitionState,
  ) {
    this.track = new AlertTrack(GPU_FABRIC_ALERTNAME, rule);
    this.tracks = [this.track];
  }

  /** The GPU's fabric is not ready where one is expected, at its latest sample (whether or not its alert fires yet). */
  notReady(gpuId: number): boolean {
    return this.track.held(gpuId);
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const fabric = batch.values[o + STATE]!;
    if (fabric !== fabric || fabric === NOT_SUPPORTED) return this.clear(gpuId, batch, row, emit);
    const ts = batch.eventTs[row]!;
    const rack = this.state.topology.rackOf[gpuId]!;
    if (rack >= this.domainTs.length)
      this.domainTs = resized(this.domainTs, grownCapacity(this.domainTs.length, rack + 1), -Infinity);
    const clique = batch.values[o + CLIQUE]!;
    if (clique > 0 && ts > this.domainTs[rack]!) this.domainTs[rack] = ts;
    const status = batch.values[o + STATUS]!;
    const failed = status === status && status !== 0;
    if (fabric === COMPLETED && !failed) return this.clear(gpuId, batch, row, emit);
    const job = batch.job[row]!;
    const domainActive = ts - this.domainTs[rack]! <= this.rule.domain_memory_ms;
    if (job === '' && !domainActive) return this.clear(gpuId, batch, row, emit);
    const labels = gpuAlertLabels(
      this.registry,
      gpuId,
      batch.uuid[row]!,
      GPU_FABRIC_ALERTNAME,
      this.rule.severity,
      'hardware',
    );
    const stateName = STATE_NAMES[fabric] ?? `state ${fabric}`;
    this.track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)}: NVLink fabric ${failed ? `failed (status ${fmt(status, 0)})` : stateName} for over ${duration(this.rule.for_ms)}`,
        description:
          `fabric_state=${fmt(fabric, 0)} (${stateName}), fabric_status=${status === status ? fmt(status, 0) : 'unknown'}, fabric_clique=${clique === clique ? fmt(clique, 0) : 'unknown'}; ` +
          `the GPU is expected in a fabric: ${job !== '' ? `it runs job ${job}` : 'its rack has an active compute domain'}. ` +
          'Until the fabric completes, NVLink to the rest of the NVL72 domain is unavailable and multi-GPU work fails. ' +
          'Check the NVLink fabric manager (NVSwitch trays) and the compute domain (IMEX) of the rack.',
        value: failed ? fmt(status, 0) : stateName,
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }

  private clear(gpuId: number, batch: SampleBatch, row: number, emit: EmitAlert): void {
    // `held` too: the rack roll-up reads it even where this GPU's own alert never engaged.
    if (this.track.held(gpuId) || this.track.engaged(gpuId)) this.track.clear(gpuId, batch.eventTs[row]!, emit);
  }
}

/** RackFabricNotReady: many GPUs of one rack expected in a fabric without one at once. */
export function rackFabricSpec(fabric: FabricDetector): RackRollupSpec {
  return {
    name: 'rack_fabric',
    alertname: 'RackFabricNotReady',
    gpuAlertname: GPU_FABRIC_ALERTNAME,
    category: 'hardware',
    holds: (g) => fabric.notReady(g),
    what: 'NVLink fabric not ready',
    advice:
      "the rack's fabric manager (on its NVSwitch trays) or its compute domain (IMEX) has not brought the fabric up.",
  };
}
