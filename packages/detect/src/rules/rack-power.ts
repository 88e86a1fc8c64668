import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/**
 * RackPowerSwing: the rack's summed power swings: its total variation over span_ms (the sum of the absolute changes
 * between consecutive windows, per second) reaches max_w_per_s. One job starting or stopping moves it far less than
 * power oscillating up and down.
 */
export const rackPowerSwingRule = z
  .object({
    ...ruleTiming(0, 120_000),
    max_w_per_s: z
      .number()
      .positive()
      .max(1e7)
      .default(3000)
      .describe("Fire when the rack's power moves by this many W/s on average …"),
    span_ms: z.number().int().min(20_000).max(1_800_000).default(60_000).describe('… over this span.'),
    min_gpus: z.number().int().min(1).max(1000).default(8).describe('Racks with fewer reporting GPUs are not judged.'),
    severity: severity('warning'),
  })
  .strict();

export type RackPowerSwingRule = z.infer<typeof rackPowerSwingRule>;
