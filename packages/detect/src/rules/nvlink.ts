import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/**
 * GpuNvlinkDegraded: more NVLink links inactive than allowed (nvlink_links_inactive), or an NVLink error counter
 * (nvlink_crc_errors, nvlink_replay_errors, nvlink_recovery_errors) rising faster than max_errors_per_s over
 * rate_window_ms.
 */
export const nvlinkRule = z
  .object({
    ...ruleTiming(30_000, 120_000),
    max_inactive_links: z
      .number()
      .int()
      .min(0)
      .max(63)
      .default(0)
      .describe('Fire when more links than this are inactive: a healthy GB300 has all 18 active.'),
    max_errors_per_s: z
      .number()
      .positive()
      .max(1e9)
      .default(1)
      .describe('Fire when an NVLink error counter (CRC, replay, recovery) rises faster than this, in errors/s …'),
    rate_window_ms: z.number().int().min(10_000).max(3_600_000).default(60_000).describe('… measured over this span.'),
    severity: severity('critical'),
  })
  .strict();

export type NvlinkRule = z.infer<typeof nvlinkRule>;
