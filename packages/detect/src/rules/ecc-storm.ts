import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/** GpuCorrectableErrorStorm: ecc_sbe_vol rises faster than max_errors_per_s over window_ms. */
export const eccStormRule = z
  .object({
    ...ruleTiming(0, 300_000),
    max_errors_per_s: z
      .number()
      .positive()
      .max(1e9)
      .default(1)
      .describe('Fire when corrected (single-bit) ECC errors arrive faster than this, in errors/s …'),
    window_ms: z.number().int().min(10_000).max(3_600_000).default(60_000).describe('… measured over this span.'),
    severity: severity('warning'),
  })
  .strict();

export type EccStormRule = z.infer<typeof eccStormRule>;
