import { z } from 'zod';
import { httpUrl } from '@kiln/config-schema';
import { commonReceiverKeys } from '../common-config.js';

/** A generic webhook that receives Alertmanager's webhook payload, version 4. */
export const webhookConfigSchema = z
  .object({
    type: z.literal('webhook').describe("Alertmanager's webhook payload, version 4."),
    ...commonReceiverKeys,
    url: httpUrl.describe('Where the payload is POSTed.'),
    max_alerts: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('At most this many alerts per payload, the rest counted in truncatedAlerts (0 = all).'),
  })
  .strict();

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
