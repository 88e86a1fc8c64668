import type { AlertEvent } from '@kiln/alerts';
import type { SampleBatch } from '@kiln/wire';
import type { ClosedWindow, GpuRegistry } from '@kiln/window';

/** Where detectors send alert events (the aggregator publishes them to the alert stream). */
export type EmitAlert = (event: AlertEvent) => void;

/**
 * A detector judges GPUs in event time. Per-sample detectors (thresholds, throttle bits, Xids) see every sample as it is
 * decoded; statistical ones see closed windows. Either way the hot path must allocate nothing for a healthy GPU.
 */
export interface Detector {
  readonly name: string;
  onSample?(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void;
  onWindow?(window: ClosedWindow, emit: EmitAlert): void;
}

/** What detectors know about the fleet: dense GPU ids and their labels. */
export interface DetectionContext {
  readonly registry: GpuRegistry;
}
