import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/**
 * GpuTemperatureRising: the GPU temperature climbs fast enough that a linear forecast reaches the slowdown threshold
 * within `horizon_ms`, while already within `near_c` of it. Judged on closed windows.
 */
export const temperatureRiseRule = z
  .object({
    ...ruleTiming(10_000, 30_000),
    span_ms: z
      .number()
      .int()
      .min(10_000)
      .max(600_000)
      .default(30_000)
      .describe('The rate is the least-squares slope of the window means over this span.'),
    min_rate_c_per_min: z.number().positive().max(100).default(3).describe('Slower heating never fires.'),
    horizon_ms: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(60_000)
      .describe('Fire when the forecast reaches the slowdown threshold within this.'),
    near_c: z.number().min(0).max(60).default(12).describe('… and the GPU is already within this many °C of it.'),
    severity: severity('critical'),
  })
  .strict();

export type TemperatureRiseRule = z.infer<typeof temperatureRiseRule>;
