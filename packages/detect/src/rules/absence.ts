import { z } from 'zod';
import { ruleEnabled, severity } from './rule-keys.js';

/**
 * GpuMissing, HostSilent, RackSilent: a GPU absent from its host's messages, a host silent while its rack goes on, a
 * rack silent while the partition goes on, each for `after_ms` of the container's event time.
 */
export const absenceRule = (afterMs: number) =>
  z
    .object({
      enabled: ruleEnabled,
      after_ms: z.number().int().min(1_000).default(afterMs).describe('Silence (event time) that fires the alert.'),
      severity: severity('critical'),
    })
    .strict();

export type AbsenceRule = z.infer<ReturnType<typeof absenceRule>>;
