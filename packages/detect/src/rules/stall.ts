import { z } from 'zod';
import { activity, peerBusy } from './activity.js';
import { ruleTiming, severity } from './rule-keys.js';

/**
 * GpuStalled: near-zero activity while the GPU's peer group (its job, else its rack) is busy. keep_firing_for outlasts
 * a checkpoint (20–40 s), when the group is not busy and nobody is judged stalled.
 */
export const stallRule = z
  .object({
    ...ruleTiming(60_000, 120_000),
    max_activity: activity.default(0.05).describe('A GPU at or below this activity is stalled.'),
    exit_activity: activity.default(0.1).describe('Once stalled, the GPU counts as running again above this activity.'),
    peer_busy: peerBusy,
    min_peers: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(4)
      .describe('Peers (other GPUs of the group with a window) needed for a judgement.'),
    severity: severity('critical'),
  })
  .strict()
  .refine((r) => r.exit_activity >= r.max_activity, {
    message: 'exit_activity must be >= max_activity',
    path: ['exit_activity'],
  });

export type StallRule = z.infer<typeof stallRule>;
