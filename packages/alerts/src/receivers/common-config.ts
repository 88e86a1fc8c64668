import { z } from 'zod';
import type { RateLimit, Receiver } from './receiver.js';

const rateLimit = z
  .object({
    per_minute: z.number().positive().max(600_000).describe('Sustained requests per minute.'),
    burst: z.number().int().min(1).max(10_000).describe('Requests allowed at once above the sustained rate.'),
  })
  .strict()
  .describe('Requests per minute with a burst allowance; notifications over it wait and coalesce, none is dropped.');

/** Keys every receiver's schema spreads into its own. `name` is what routes refer to. */
export const commonReceiverKeys = {
  name: z
    .string()
    .min(1)
    .max(128)
    .refine((s) => s.trim() !== '', 'expected a name, not blanks')
    .optional()
    .describe('What routes call this receiver. Unset: the type and a hash of the destination.'),
  send_resolved: z
    .boolean()
    .optional()
    .describe('Whether the receiver hears of resolved alerts. Unset: true, false for slack (as in Alertmanager).'),
  rate_limit: rateLimit.optional(),
};

const commonReceiverConfig = z.object(commonReceiverKeys);
export type CommonReceiverConfig = z.infer<typeof commonReceiverConfig>;

/** The Receiver fields the common keys set, with the integration's defaults where the config is silent. */
export function commonReceiverFields(
  config: CommonReceiverConfig,
  defaults: { readonly sendResolved: boolean; readonly rateLimit?: RateLimit },
): Pick<Receiver, 'sendResolved' | 'rateLimit'> {
  const rateLimit = config.rate_limit
    ? { perMinute: config.rate_limit.per_minute, burst: config.rate_limit.burst }
    : defaults.rateLimit;
  return { sendResolved: config.send_resolved ?? defaults.sendResolved, ...(rateLimit ? { rateLimit } : {}) };
}
