import { z } from 'zod';
import { httpUrl, SECRET } from '@kiln/config-schema';
import { commonReceiverKeys } from '../common-config.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * PagerDuty accepts about 120 events per minute per routing key over a 60 s look-back: 100/min with a burst of 20
 * never passes 120 in any minute.
 */
export const PAGERDUTY_RATE_LIMIT = { perMinute: 100, burst: 20 } as const;

export const PAGERDUTY_INCIDENTS = ['alert', 'group'] as const;
export type PagerDutyIncident = (typeof PAGERDUTY_INCIDENTS)[number];

/** A PagerDuty service integration, reached through Events API v2. */
export const pagerDutyConfigSchema = z
  .object({
    type: z.literal('pagerduty').describe('PagerDuty Events API v2.'),
    ...commonReceiverKeys,
    routing_key: z
      .string()
      .regex(/^\S{1,255}$/, 'expected the integration key, a non-empty string without spaces')
      .meta(SECRET)
      .describe("The integration's routing key (a secret)."),
    // A proxy, or PagerDuty's EU endpoint.
    url: httpUrl.default(PAGERDUTY_EVENTS_URL).describe('Events API v2 endpoint.'),
    // Alertmanager's way, resolved once all of the group's alerts have resolved.
    incident: z
      .enum(PAGERDUTY_INCIDENTS)
      .default('alert')
      .describe('`alert`: one PagerDuty alert per Kiln alert; `group`: one per route group, as Alertmanager does.'),
  })
  .strict();

export type PagerDutyConfig = z.infer<typeof pagerDutyConfigSchema>;
