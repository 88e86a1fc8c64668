import type { AlertEvent } from '@kiln/alerts';
import type { SampleBatch } from '@kiln/wire';
import type { ClosedWindow } from '@kiln/window';

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
  onWindowsClosed?(watermarkMs: number, emit: EmitAlert): void;
  onTick?(wallNowMs: number, watermarkMs: number, emit: EmitAlert): void;
}
