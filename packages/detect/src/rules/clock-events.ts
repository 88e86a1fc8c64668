import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/** A clock-event (throttle reason) bitmask: DCGM field 112. */
const clockEventMask = z.number().int().min(1).max(0xffff_ffff);

/** GpuThermalThrottling: clock_events carries a thermal slowdown bit (SW thermal 0x20, HW thermal 0x40), sustained. */
export const thermalThrottleRule = z
  .object({
    ...ruleTiming(30_000, 60_000),
    mask: clockEventMask
      .default(0x60)
      .describe('clock_events bits that count as thermal slowdown (0x20 SW thermal, 0x40 HW thermal).'),
    severity: severity('critical'),
  })
  .strict();

/** GpuPowerBrakeSlowdown: clock_events carries HW power brake (0x80), sustained. */
export const powerBrakeRule = z.object({ ...ruleTiming(10_000, 60_000), severity: severity('critical') }).strict();

export type ThermalThrottleRule = z.infer<typeof thermalThrottleRule>;
export type PowerBrakeRule = z.infer<typeof powerBrakeRule>;
