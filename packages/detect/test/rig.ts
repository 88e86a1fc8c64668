import { validateAlertEvent, type AlertEvent } from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';
import { METRIC_COUNT, type SampleBatch } from '@kiln/wire';
import { GpuRegistry, WindowCore } from '@kiln/window';
import { Detection, WINDOW_METRICS } from '../src/index.js';

export const LATENESS_MS = 5_000;
const WINDOWS_MS = [10_000, 60_000];

/**
 * The real GpuRegistry, WindowCore and Detection, wired and driven as the aggregator drives them: every sample to the
 * detectors and the windows, closing passes after each message (or every `closeEvery` messages, as bigger batches
 * would), and a wall-clock tick that lets event time follow the wall clock when the partition is quiet and forgets
 * GPUs silent for `forgetAfterMs` of event time. Every alert event is checked against the alert contract.
 */
export class DetectionRig {
  readonly events: AlertEvent[] = [];
  readonly registry: GpuRegistry;
  readonly detection: Detection;
  readonly windows: WindowCore;
  /** GPUs forgotten so far. */
  forgotten = 0;
  private lastArrivalWall: number;
  private sinceClose = 0;

  constructor(
    detect: KilnConfig['detect'],
    startWallMs: number,
    private readonly closeEvery = 1,
    forgetAfterMs = 3_600_000,
  ) {
    this.lastArrivalWall = startWallMs;
    this.registry = new GpuRegistry({ forgetAfterMs });
    this.detection = new Detection(this.registry, detect, (e) => {
      const checked = validateAlertEvent(e);
      if (!checked.ok) throw new Error(`alert event breaks the contract: ${checked.errors.join('; ')}\n${JSON.stringify(e)}`);
      this.events.push(e);
    });
    this.windows = new WindowCore({
      windowsMs: WINDOWS_MS,
      allowedLatenessMs: LATENESS_MS,
      metrics: WINDOW_METRICS,
      onClose: (w) => this.detection.onWindow(w),
      onPass: (endMs) => this.detection.onWindowsClosed(endMs),
    });
    this.registry.addStateOwner(this.windows);
    this.registry.addStateOwner(this.detection);
  }

  /** One host's message, decoded into batch rows [from, batch.length), arriving at wall time `wallMs`. */
  message(batch: SampleBatch, from: number, wallMs: number): void {
    this.lastArrivalWall = wallMs;
    const { registry, detection, windows } = this;
    for (let row = from; row < batch.length; row++) {
      const gpuId = registry.id(batch.cluster[row]!, batch.rack[row]!, batch.host[row]!, batch.gpu[row]!);
      detection.onSample(batch, row, gpuId);
      windows.add(gpuId, batch.ts[row]!, batch.values, row * METRIC_COUNT);
    }
    if (++this.sinceClose >= this.closeEvery) {
      this.sinceClose = 0;
      windows.closeReady();
    }
  }

  /** The aggregator's periodic tick (Aggregator.onTick). */
  tick(wallMs: number): void {
    const { windows, detection } = this;
    const idle = wallMs - this.lastArrivalWall;
    if (idle > LATENESS_MS && Number.isFinite(windows.watermark)) {
      windows.advanceTo(windows.watermark + LATENESS_MS + idle);
      this.lastArrivalWall = wallMs - LATENESS_MS;
    }
    detection.onTick(wallMs, windows.watermark);
    this.forgotten += this.registry.reclaimIdle(detection.newestEventMs);
  }
}

/** Firing events at startsAt, resolved ones at endsAt. */
export function eventTime(e: AlertEvent): number {
  return e.status === 'firing' ? e.startsAt : e.endsAt!;
}
