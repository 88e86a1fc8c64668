import { z } from 'zod';
import { hysteresis, ruleTiming, severity } from './rule-keys.js';

/** GpuThermalMarginLow: the GPU's own thermal margin (temp_margin_c, degrees below its slowdown point) is small. */
export const thermalMarginRule = z
  .object({
    ...ruleTiming(10_000, 0),
    min_margin_c: z.number().min(-20).max(50).default(5).describe('Fire at temp_margin_c <= min_margin_c.'),
    hysteresis_c: hysteresis,
    severity: severity('critical'),
  })
  .strict();

export type ThermalMarginRule = z.infer<typeof thermalMarginRule>;
