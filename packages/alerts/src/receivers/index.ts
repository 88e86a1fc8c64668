/**
 * The receivers' configuration schemas (zod), one file per integration, and the `notify:` entry they make up. A
 * subpath of its own (`@kiln/alerts/receivers`): @kiln/config composes it without loading the alerting runtime.
 */
export * from './receiver-config.js';
export { commonReceiverKeys, type CommonReceiverConfig } from './common-config.js';
export { webhookConfigSchema, type WebhookConfig } from './webhook/config.js';
export {
  PAGERDUTY_EVENTS_URL,
  PAGERDUTY_INCIDENTS,
  PAGERDUTY_RATE_LIMIT,
  pagerDutyConfigSchema,
  type PagerDutyConfig,
  type PagerDutyIncident,
} from './pagerduty/config.js';
export { SLACK_RATE_LIMIT, slackConfigSchema, type SlackConfig } from './slack/config.js';
export {
  ALERTMANAGER_RESEND_INTERVAL_MS,
  alertmanagerConfigSchema,
  type AlertmanagerConfig,
} from './alertmanager/config.js';
