import { z } from 'zod';
import { ruleEnabled, severity } from './rule-keys.js';

/** PartitionSilent: no sample at all for `after_ms` of wall-clock time, after samples had arrived. */
export const partitionSilentRule = z
  .object({
    enabled: ruleEnabled,
    after_ms: z.number().int().min(1_000).default(60_000).describe('Silence (wall clock) that fires the alert.'),
    severity: severity('critical'),
  })
  .strict();

export type PartitionSilentRule = z.infer<typeof partitionSilentRule>;
