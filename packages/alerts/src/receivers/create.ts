import type { AlertmanagerConfig } from './alertmanager/config.js';
import { createAlertmanagerReceiver } from './alertmanager/receiver.js';
import type { PagerDutyConfig } from './pagerduty/config.js';
import { createPagerDutyReceiver } from './pagerduty/receiver.js';
import type { Receiver } from './receiver.js';
import { ReceiverConfigError } from './receiver.js';
import type { SlackConfig } from './slack/config.js';
import { createSlackReceiver } from './slack/receiver.js';
import type { WebhookConfig } from './webhook/config.js';
import { createWebhookReceiver } from './webhook/receiver.js';

/** The `notify:` entries of the configuration. A new integration adds its config here and a case below. */
export type ReceiverConfig = WebhookConfig | PagerDutyConfig | SlackConfig | AlertmanagerConfig;

export function createReceiver(config: ReceiverConfig): Receiver {
  switch (config.type) {
    case 'webhook':
      return createWebhookReceiver(config);
    case 'pagerduty':
      return createPagerDutyReceiver(config);
    case 'slack':
      return createSlackReceiver(config);
    case 'alertmanager':
      return createAlertmanagerReceiver(config);
    default: {
      const type: unknown = (config as { type?: unknown }).type;
      throw new ReceiverConfigError(String(type), [`type: unsupported receiver type ${JSON.stringify(type)}; expected webhook, pagerduty, slack or alertmanager`]);
    }
  }
}
