import { z } from 'zod';
import { basicAuth, httpUrl } from '@kiln/config-schema';
import { commonReceiverKeys } from '../common-config.js';

/**
 * Prometheus re-sends firing alerts at least once a minute (--rules.alert.resend-delay) and marks them valid for four
 * times that, so an Alertmanager that stops hearing of them resolves them after four minutes.
 */
export const ALERTMANAGER_RESEND_INTERVAL_MS = 60_000;

/** An existing Alertmanager that Kiln forwards its alerts to, through its API v2. */
export const alertmanagerConfigSchema = z
  .object({
    type: z.literal('alertmanager').describe('Forward alerts to an existing Alertmanager.'),
    ...commonReceiverKeys,
    url: httpUrl.describe('Base URL of the Alertmanager; alerts go to <url>/api/v2/alerts.'),
    basic_auth: basicAuth.optional().describe("The Alertmanager's basic auth credentials."),
    resend_interval_ms: z
      .number()
      .int()
      .min(1_000)
      .optional()
      .describe('Firing alerts are sent again this often so the Alertmanager does not time them out.'),
  })
  .strict();

export type AlertmanagerConfig = z.infer<typeof alertmanagerConfigSchema>;
