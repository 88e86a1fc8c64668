import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/**
 * A rack's roll-up of a per-GPU rule: one rack alert when at once at least min_gpus and min_fraction of the rack's
 * reporting GPUs meet the GPU rule's condition. Its `for` is no longer than the GPU rule's, so the rack alert is out
 * before the GPU alerts it mutes (which wait for it a little while it is pending).
 */
export const rackRollupRule = (minGpus: number, forMs: number, keepFiringForMs = 120_000) =>
  z
    .object({
      ...ruleTiming(forMs, keepFiringForMs),
      min_gpus: z
        .number()
        .int()
        .min(2)
        .max(1000)
        .default(minGpus)
        .describe('GPUs meeting the condition needed: at least this many …'),
      min_fraction: z
        .number()
        .gt(0)
        .max(1)
        .default(0.25)
        .describe("… and at least this share of the rack's reporting GPUs."),
      exit_ratio: z
        .number()
        .gt(0)
        .max(1)
        .default(0.5)
        .describe('Once firing, the alert holds while at least this share of that count still meets the condition.'),
      severity: severity('critical'),
    })
    .strict();

export type RackRollupRule = z.infer<ReturnType<typeof rackRollupRule>>;
