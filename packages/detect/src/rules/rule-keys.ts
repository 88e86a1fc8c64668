import { z } from 'zod';
import { milliseconds } from '@kiln/config-schema';

/** The rules' `…_ms` keys: milliseconds of event time (or wall time where a rule says so). */
export const duration = milliseconds;

const alertSeverity = z.enum(['critical', 'warning', 'info']);
/** The alert's severity label, `level` by default. */
export const severity = (level: z.infer<typeof alertSeverity>) =>
  alertSeverity.default(level).describe("The alert's severity label.");

/** Whether the rule runs: every rule does by default. */
export const ruleEnabled = z.boolean().default(true).describe('Whether the rule runs.');

/**
 * Keys every detection rule takes: whether it runs, Prometheus' `for` (how long the condition must hold before the
 * alert fires) and `keep_firing_for` (how long a firing alert stays firing once the condition clears), both in event
 * time.
 */
export function ruleTiming(forMs: number, keepFiringForMs: number) {
  return {
    enabled: ruleEnabled,
    for_ms: duration.default(forMs).describe('How long the condition must hold before the alert fires (event time).'),
    keep_firing_for_ms: duration
      .default(keepFiringForMs)
      .describe('How long a firing alert stays firing once the condition clears (event time).'),
  };
}

export const hysteresis = z
  .number()
  .min(0)
  .max(20)
  .default(2)
  .describe('The exit threshold sits this far below the entry threshold.');
