import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/** GpuModulePowerAtLimit: the Grace-Blackwell module draws at its power limit, sustained. */
export const modulePowerRule = z
  .object({
    ...ruleTiming(300_000, 60_000),
    limit_fraction: z
      .number()
      .gt(0)
      .max(1.5)
      .default(0.98)
      .describe('At the limit: module_power_w >= limit_fraction × module_power_limit_w …'),
    exit_fraction: z
      .number()
      .gt(0)
      .max(1.5)
      .default(0.95)
      .describe('… and no longer once below exit_fraction × the limit.'),
    default_limit_w: z
      .number()
      .positive()
      .max(10_000)
      .default(2900)
      .describe('Used when a GPU reports no module_power_limit_w.'),
    severity: severity('warning'),
  })
  .strict()
  .refine((r) => r.exit_fraction <= r.limit_fraction, {
    message: 'exit_fraction must be <= limit_fraction',
    path: ['exit_fraction'],
  });

export type ModulePowerRule = z.infer<typeof modulePowerRule>;
