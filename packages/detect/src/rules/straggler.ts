import { z } from 'zod';
import { activity, peerBusy } from './activity.js';
import { ruleTiming, severity } from './rule-keys.js';

/**
 * GpuStraggler: SM clock, SM activity or power well below the peer-group median: robust z = 0.6745·(x − median)/MAD
 * at or below −z and at least min_drop below the median, persistent for `for_ms`.
 */
export const stragglerRule = z
  .object({
    ...ruleTiming(180_000, 120_000),
    z: z.number().positive().max(100).default(3.5).describe('Fire at robust z <= −z.'),
    exit_z: z
      .number()
      .positive()
      .max(100)
      .default(2.5)
      .describe('Once straggling, the GPU stays so while some metric keeps z <= −exit_z and half of min_drop.'),
    // A tight group's tiny spread would otherwise make outliers of GPUs a hair below the median.
    min_drop: z.number().gt(0).max(1).default(0.08).describe('Relative shortfall to the median needed as well.'),
    min_activity: activity.default(0.2).describe('GPUs below this activity are idle or stalled, not slow.'),
    peer_busy: peerBusy,
    min_peers: z.number().int().min(2).max(10_000).default(8).describe('Peers needed for a judgement.'),
    severity: severity('warning'),
  })
  .strict()
  .refine((r) => r.exit_z <= r.z, { message: 'exit_z must be <= z', path: ['exit_z'] });

export type StragglerRule = z.infer<typeof stragglerRule>;
