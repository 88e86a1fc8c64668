import { z } from 'zod';
import { duration, ruleTiming, severity } from './rule-keys.js';

/**
 * GpuFabricNotReady: a GPU expected in an NVLink fabric whose fabric_state is not completed (3) or whose fabric_status
 * is not success (0) for longer than for_ms, the grace period (a fabric comes up in minutes after a boot or a new
 * compute domain). Expected: it reports a fabric (fabric_state not 0) and runs a job, or its rack has an active compute
 * domain (some GPU of the rack reported a fabric_clique within domain_memory_ms). An idle rack without a domain is not.
 */
export const fabricRule = z
  .object({
    ...ruleTiming(300_000, 60_000),
    domain_memory_ms: duration
      .min(10_000)
      .default(600_000)
      .describe(
        "A rack's compute domain counts as active this long after a GPU of it last reported a non-zero fabric_clique (event time).",
      ),
    severity: severity('critical'),
  })
  .strict();

export type FabricRule = z.infer<typeof fabricRule>;
