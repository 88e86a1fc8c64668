import type { KilnConfig } from '@kiln/config';
import { GpuRegistry, LatestSample, WindowCore } from '@kiln/window';
import { Detection } from './detection.js';
import type { EmitAlert } from './detector.js';
import { WINDOW_METRICS } from './window-snapshot.js';

/** Everything a partition keeps per GPU to analyse its samples, wired together. */
export interface PartitionAnalysis {
  readonly registry: GpuRegistry;
  readonly latest: LatestSample;
  readonly windows: WindowCore;
  readonly detection: Detection;
}

/**
 * Builds a partition's analysis state: dense GPU ids, the newest sample per GPU, event-time windows of the metrics
 * the detectors read (rollups are views over the raw table, so nothing else needs windows), and the detectors fed by
 * the windows as they close. A GPU the registry forgets (it left the fleet) is forgotten by all of them.
 */
export function createPartitionAnalysis(config: Pick<KilnConfig, 'aggregator' | 'detect'>, emit: EmitAlert): PartitionAnalysis {
  const registry = new GpuRegistry({ forgetAfterMs: config.aggregator.forget_gpu_after_ms });
  const latest = new LatestSample();
  const detection = new Detection(registry, config.detect, emit);
  const windows = new WindowCore({
    windowsMs: config.aggregator.windows_ms,
    allowedLatenessMs: config.aggregator.allowed_lateness_ms,
    metrics: WINDOW_METRICS,
    onClose: (w) => detection.onWindow(w),
    onPass: (endMs) => detection.onWindowsClosed(endMs),
  });
  registry.addStateOwner(latest);
  registry.addStateOwner(windows);
  registry.addStateOwner(detection);
  return { registry, latest, windows, detection };
}
