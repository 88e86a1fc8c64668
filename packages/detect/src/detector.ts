import type { AlertEvent } from '@kiln/alerts';
import type { SampleBatch } from '@kiln/wire';
import type { ClosedWindow } from '@kiln/window';
import type { AlertTrack } from './alert-track.js';

/** Where detectors send alert events (the aggregator publishes them to the alert stream). */
export type EmitAlert = (event: AlertEvent) => void;

/**
 * A detector judges GPUs in event time. Per-sample detectors (thresholds, throttle bits, Xids) see every sample as it is
 * decoded; statistical ones see closed windows. Either way the hot path must allocate nothing for a healthy GPU.
 */
export interface Detector {
  readonly name: string;
  /**
   * Its alerts, one track per rule and scope: Detection retires a forgotten GPU's (see forgetGpu) and gives every
   * track its firing alerts back after a restart (see restore).
   */
  readonly tracks?: readonly AlertTrack[];
  /** The sample's event time is `batch.eventTs[row]`: its own ts, held to the wall clock at its arrival. */
  onSample?(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void;
  onWindow?(window: ClosedWindow, emit: EmitAlert): void;
  onWindowsClosed?(watermarkMs: number, emit: EmitAlert): void;
  onTick?(wallNowMs: number, watermarkMs: number, emit: EmitAlert): void;
  /** Drops what it keeps of the GPU besides its tracks: the id is about to be given to another GPU. */
  forgetGpu?(gpuId: number): void;
}
