import { detectSection, type DetectConfig } from '../src/rules/index.js';

/** The rules with their defaults, and `overrides` by rule as a configuration's `detect:` section would write them. */
export function detectConfig(overrides: Record<string, unknown> = {}): DetectConfig {
  return detectSection.parse(overrides);
}

/** The aggregator's windowing as the shipped defaults set it (@kiln/config sits above this package). */
export const AGGREGATOR_DEFAULTS = {
  forget_gpu_after_ms: 3_600_000,
  allowed_lateness_ms: 5_000,
  windows_ms: [10_000, 60_000],
} as const;
