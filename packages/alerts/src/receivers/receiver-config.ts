import { z } from 'zod';
import { alertmanagerConfig } from './alertmanager/config.js';
import { pagerDutyConfig } from './pagerduty/config.js';
import { slackConfig } from './slack/config.js';
import { webhookConfig } from './webhook/config.js';

/** One `notify:` entry of the configuration, by `type`. A new integration adds its schema here and a case to createReceiver. */
export const receiverConfig = z.discriminatedUnion('type', [webhookConfig, pagerDutyConfig, slackConfig, alertmanagerConfig]);

/** A validated `notify:` entry, defaults applied. */
export type ReceiverConfig = z.output<typeof receiverConfig>;
/** A `notify:` entry as written, before validation and defaults. */
export type ReceiverConfigInput = z.input<typeof receiverConfig>;
