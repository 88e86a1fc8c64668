import { z } from 'zod';
import { hysteresis, ruleTiming, severity } from './rule-keys.js';

/** GpuTemperatureNearSlowdown: GPU temperature against the GPU's own slowdown threshold. */
export const thermalRule = z
  .object({
    ...ruleTiming(10_000, 0),
    margin_c: z.number().min(0).max(50).default(5).describe('Fire at temp_c >= slowdown_temp_c − margin_c.'),
    default_slowdown_c: z.number().min(30).max(150).default(87).describe('Used when a GPU reports no slowdown_temp_c.'),
    hysteresis_c: hysteresis,
    severity: severity('critical'),
  })
  .strict();

/** GpuMemoryTemperatureNearLimit: HBM temperature against the GPU's own memory maximum operating temperature. */
export const hbmTemperatureRule = z
  .object({
    ...ruleTiming(10_000, 0),
    margin_c: z.number().min(0).max(50).default(3).describe('Fire at mem_temp_c >= mem_max_temp_c − margin_c.'),
    default_max_c: z.number().min(30).max(150).default(95).describe('Used when a GPU reports no mem_max_temp_c.'),
    hysteresis_c: hysteresis,
    severity: severity('critical'),
  })
  .strict();

export type ThermalRule = z.infer<typeof thermalRule>;
export type HbmTemperatureRule = z.infer<typeof hbmTemperatureRule>;
