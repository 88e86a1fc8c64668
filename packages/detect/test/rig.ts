import { validateAlertEvent, type AlertEvent } from '@kiln/alerts';
import type { DetectConfig } from '../src/rules/index.js';
import { AGGREGATOR_DEFAULTS } from './config.js';
import type { SampleBatch } from '@kiln/wire';
import { PartitionAnalysis, type GpuRegistry, type WindowCore } from '@kiln/window';
import { Detection, WINDOW_METRICS } from '../src/index.js';

/**
 * A partition's analysis (PartitionAnalysis: the real GpuRegistry, EventClock, WindowCore and Detection) driven as the
 * aggregator drives it: each message's arrival and samples, and a wall-clock tick. Every alert event is checked
 * against the alert contract.
 */
export class DetectionRig {
  readonly events: AlertEvent[] = [];
  readonly analysis: PartitionAnalysis<Detection>;
  /** GPUs forgotten so far. */
  forgotten = 0;

  constructor(detect: DetectConfig, forgetAfterMs = 3_600_000) {
    const windowing = {
      forgetGpuAfterMs: forgetAfterMs,
      allowedLatenessMs: AGGREGATOR_DEFAULTS.allowed_lateness_ms,
      windowsMs: AGGREGATOR_DEFAULTS.windows_ms,
      metrics: WINDOW_METRICS,
    };
    this.analysis = new PartitionAnalysis(
      windowing,
      (registry) =>
        new Detection(registry, detect, (e) => {
          const checked = validateAlertEvent(e);
          if (!checked.ok)
            throw new Error(`alert event breaks the contract: ${checked.errors.join('; ')}\n${JSON.stringify(e)}`);
          this.events.push(e);
        }),
    );
  }

  get registry(): GpuRegistry {
    return this.analysis.registry;
  }

  get detection(): Detection {
    return this.analysis.analyser;
  }

  get windows(): WindowCore {
    return this.analysis.windows;
  }

  /** One host's message, decoded into batch rows [from, batch.length), arriving at wall time `wallMs`. */
  message(batch: SampleBatch, from: number, wallMs: number): void {
    const { analysis } = this;
    analysis.arrived(wallMs);
    for (let row = from; row < batch.length; row++) {
      analysis.analyse(
        batch,
        row,
        analysis.registry.id(batch.cluster[row]!, batch.rack[row]!, batch.host[row]!, batch.gpu[row]!),
      );
    }
  }

  /** The aggregator's periodic tick. */
  tick(wallMs: number): void {
    this.forgotten += this.analysis.tick(wallMs, { followWallClock: true, mayReclaim: true });
  }
}

/** Firing events at startsAt, resolved ones at endsAt. */
export function eventTime(e: AlertEvent): number {
  return e.status === 'firing' ? e.startsAt : e.endsAt!;
}
