import type { KilnConfig } from '@kiln/config';
import { EventClock, GpuRegistry, WindowCore } from '@kiln/window';
import { METRIC_COUNT, type SampleBatch } from '@kiln/wire';
import { Detection } from './detection.js';
import type { EmitAlert } from './detector.js';
import { WINDOW_METRICS } from './window-snapshot.js';

/**
 * Everything a partition keeps per GPU to analyse its samples, wired together and driven in event time: dense GPU
 * ids, the partition's event-time clock, event-time windows of the metrics the detectors
 * read (rollups are views over the raw table, so nothing else needs windows), and the detectors fed by the windows as
 * they close. A GPU the registry forgets (it left the fleet) is forgotten by all of them.
 *
 * The aggregator and the detection scenarios drive a partition through these three calls, so that what event time is
 * (EventClock: a sample's `ts` held to the wall clock at its arrival, the second-newest host's, following the wall
 * clock while the partition is quiet) is decided in one place.
 */
export class PartitionAnalysis {
  readonly registry: GpuRegistry;
  readonly clock: EventClock;
  readonly windows: WindowCore;
  readonly detection: Detection;

  constructor(config: Pick<KilnConfig, 'aggregator' | 'detect'>, emit: EmitAlert) {
    this.registry = new GpuRegistry({ forgetAfterMs: config.aggregator.forget_gpu_after_ms });
    this.clock = new EventClock(config.aggregator.allowed_lateness_ms);
    const detection = new Detection(this.registry, config.detect, emit);
    this.detection = detection;
    this.windows = new WindowCore({
      windowsMs: config.aggregator.windows_ms,
      allowedLatenessMs: config.aggregator.allowed_lateness_ms,
      metrics: WINDOW_METRICS,
      onClose: (w) => detection.onWindow(w),
      onPass: (endMs) => detection.onWindowsClosed(endMs),
    });
    this.registry.addStateOwner(this.windows);
    this.registry.addStateOwner(detection);
  }

  /** A message arrived at wall time `wallMs`; its samples follow through `analyse`. */
  arrived(wallMs: number): void {
    this.clock.arrived(wallMs);
    this.detection.arrived(wallMs, this.clock.resumedWall);
  }

  /**
   * A sample known to be new: to the detectors and the windows at its event time as the clock counts it; windows
   * whose end the partition's event time passes close first.
   */
  analyse(batch: SampleBatch, row: number, gpuId: number): void {
    const { clock, registry, windows } = this;
    const atMs = clock.count(batch.ts[row]!, registry.hostIdOf(gpuId), registry.hostsTracked);
    batch.eventTs[row] = atMs;
    this.detection.onSample(batch, row, gpuId);
    windows.advanceTo(clock.now);
    windows.add(gpuId, atMs, batch.values, row * METRIC_COUNT);
  }

  /**
   * Periodically, at wall time `wallMs`: a quiet partition's event time follows the wall clock so that its last
   * windows close and detectors conclude; wall-clock detectors look; and GPUs silent past the horizon are forgotten
   * unless `mayReclaim` is false (rows awaiting their identity check still hold GPU ids).
   * `followWallClock` is false while the partition is held back by its own writes rather than quiet. Returns the
   * number of GPUs forgotten.
   */
  tick(wallMs: number, opts: { followWallClock: boolean; mayReclaim: boolean }): number {
    if (opts.followWallClock && this.clock.followWallClock(wallMs)) this.windows.advanceTo(this.clock.now);
    this.detection.onTick(wallMs, this.windows.watermark);
    return opts.mayReclaim ? this.registry.reclaimIdle(this.detection.newestEventMs) : 0;
  }
}
