import { commonReceiverFields } from '../common-config.js';
import { postJson } from '../http.js';
import type { Receiver } from '../receiver.js';
import { defaultReceiverName } from '../receiver.js';
import type { WebhookConfig } from './config.js';
import { encodeWebhookPayload } from './encode.js';

export function createWebhookReceiver(config: WebhookConfig): Receiver {
  const { url } = config;
  const maxAlerts = config.max_alerts ?? 0;
  return {
    name: config.name ?? defaultReceiverName('webhook', url),
    type: 'webhook',
    ...commonReceiverFields(config, { sendResolved: true }),
    send: (notification, options) => postJson(url, encodeWebhookPayload(notification, maxAlerts), options),
  };
}
