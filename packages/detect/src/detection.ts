import type { KilnConfig } from '@kiln/config';
import type { SampleBatch } from '@kiln/wire';
import type { ClosedWindow, GpuRegistry } from '@kiln/window';
import type { Detector, EmitAlert } from './detector.js';
import { ThermalDetector } from './thermal.js';

/**
 * Every detector of one partition behind the four calls the aggregator makes, in event time:
 * each decoded sample, each closed window, the end of a window-closing pass (when group-level judgements such as peer
 * comparison or rack-wide events can be made), and a periodic tick for what only wall-clock time reveals.
 */
export class Detection {
  readonly detectors: readonly Detector[];

  constructor(
    registry: GpuRegistry,
    config: KilnConfig['detect'],
    private readonly emit: EmitAlert,
  ) {
    this.detectors = [new ThermalDetector(registry, config.thermal)];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number): void {
    const { detectors, emit } = this;
    for (let i = 0; i < detectors.length; i++) detectors[i]!.onSample?.(batch, row, gpuId, emit);
  }

  onWindow(window: ClosedWindow): void {
    for (const d of this.detectors) d.onWindow?.(window, this.emit);
  }

  /** After the windows ending at or before `watermarkMs` have all been handed over. */
  onWindowsClosed(watermarkMs: number): void {
    for (const d of this.detectors) d.onWindowsClosed?.(watermarkMs, this.emit);
  }

  /** Periodically, with the wall clock and the partition's watermark (NaN before any sample). */
  onTick(wallNowMs: number, watermarkMs: number): void {
    for (const d of this.detectors) d.onTick?.(wallNowMs, watermarkMs, this.emit);
  }
}
