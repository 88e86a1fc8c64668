import { z } from 'zod';
import { alertmanagerConfigSchema } from './alertmanager/config.js';
import { pagerDutyConfigSchema } from './pagerduty/config.js';
import { slackConfigSchema } from './slack/config.js';
import { webhookConfigSchema } from './webhook/config.js';

/** One `notify:` entry of the configuration, by `type`. A new integration adds its schema here and a case to createReceiver. */
export const receiverConfigSchema = z.discriminatedUnion('type', [
  webhookConfigSchema,
  pagerDutyConfigSchema,
  slackConfigSchema,
  alertmanagerConfigSchema,
]);

/** A validated `notify:` entry, defaults applied. */
export type ReceiverConfig = z.output<typeof receiverConfigSchema>;
/** A `notify:` entry as written, before validation and defaults. */
export type ReceiverConfigInput = z.input<typeof receiverConfigSchema>;
