import { METRIC_COUNT, type SampleBatch } from '@kiln/wire';
import { EventClock } from './event-clock.js';
import { GpuRegistry } from './gpu-registry.js';
import type { GpuStateOwner } from './gpu-state-owner.js';
import { WindowCore, type ClosedWindow } from './window-core.js';

/**
 * What analyses a partition's samples alongside its windows (the detectors, @kiln/detect's Detection): told of each
 * message's arrival, each sample at its event time, each closed window and each wall-clock tick.
 */
export interface SampleAnalyser extends GpuStateOwner {
  /** The newest event time analysed: GPUs silent for the registry's horizon before it are forgotten. */
  readonly newestEventMs: number;
  arrived(wallMs: number, resumedWall: number): void;
  onSample(batch: SampleBatch, row: number, gpuId: number): void;
  onWindow(window: ClosedWindow): void;
  onWindowsClosed(watermarkMs: number): void;
  onTick(wallNowMs: number, watermarkMs: number): void;
}

export interface PartitionAnalysisOptions {
  /** A GPU silent this long in event time is forgotten (GpuRegistry). */
  forgetGpuAfterMs: number;
  allowedLatenessMs: number;
  windowsMs: readonly number[];
  /** The metrics windowed: those the analyser reads from closed windows. */
  metrics: readonly number[];
}

/**
 * Everything a partition keeps per GPU to analyse its samples, wired together and driven in event time: dense GPU
 * ids, the partition's event-time clock, event-time windows of the metrics the analyser reads (rollups are views over
 * the raw table, so nothing else needs windows), and the analyser fed by the windows as they close. A GPU the
 * registry forgets (it left the fleet) is forgotten by all of them.
 *
 * Ingest and the detection scenarios drive a partition through these three calls, so that what event time is
 * (EventClock: a sample's `ts` held to the wall clock at its arrival, the second-newest host's, following the wall
 * clock while the partition is quiet) is decided in one place.
 */
export class PartitionAnalysis<A extends SampleAnalyser = SampleAnalyser> {
  readonly registry: GpuRegistry;
  readonly clock: EventClock;
  readonly windows: WindowCore;
  readonly analyser: A;

  /** `analyser` builds the analyser over the partition's GPU registry. */
  constructor(options: PartitionAnalysisOptions, analyser: (registry: GpuRegistry) => A) {
    this.registry = new GpuRegistry({ forgetAfterMs: options.forgetGpuAfterMs });
    this.clock = new EventClock(options.allowedLatenessMs);
    const analysing = analyser(this.registry);
    this.analyser = analysing;
    this.windows = new WindowCore({
      windowsMs: options.windowsMs,
      allowedLatenessMs: options.allowedLatenessMs,
      metrics: options.metrics,
      onClose: (w) => analysing.onWindow(w),
      onPass: (endMs) => analysing.onWindowsClosed(endMs),
    });
    this.registry.addStateOwner(this.windows);
    this.registry.addStateOwner(analysing);
  }

  /** A message arrived at wall time `wallMs`; its samples follow through `analyse`. */
  arrived(wallMs: number): void {
    this.clock.arrived(wallMs);
    this.analyser.arrived(wallMs, this.clock.resumedWall);
  }

  /**
   * A sample known to be new: to the analyser and the windows at its event time as the clock counts it; windows
   * whose end the partition's event time passes close first.
   */
  analyse(batch: SampleBatch, row: number, gpuId: number): void {
    const { clock, registry, windows } = this;
    const atMs = clock.count(batch.ts[row]!, registry.hostIdOf(gpuId), registry.hostsTracked);
    batch.eventTs[row] = atMs;
    this.analyser.onSample(batch, row, gpuId);
    windows.advanceTo(clock.now);
    windows.add(gpuId, atMs, batch.values, row * METRIC_COUNT);
  }

  /**
   * Periodically, at wall time `wallMs`: a quiet partition's event time follows the wall clock so that its last
   * windows close and the analyser concludes; wall-clock detectors look; and GPUs silent past the horizon are forgotten
   * unless `mayReclaim` is false (rows awaiting their identity check still hold GPU ids).
   * `followWallClock` is false while the partition is held back by its own writes rather than quiet. Returns the
   * number of GPUs forgotten.
   */
  tick(wallMs: number, opts: { followWallClock: boolean; mayReclaim: boolean }): number {
    if (opts.followWallClock && this.clock.followWallClock(wallMs)) this.windows.advanceTo(this.clock.now);
    this.analyser.onTick(wallMs, this.windows.watermark);
    return opts.mayReclaim ? this.registry.reclaimIdle(this.analyser.newestEventMs) : 0;
  }
}
