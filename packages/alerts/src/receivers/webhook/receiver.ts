import { commonReceiverFields } from '../config-checks.js';
import { postJson } from '../http.js';
import type { Receiver } from '../receiver.js';
import { defaultReceiverName, ReceiverConfigError } from '../receiver.js';
import type { WebhookConfig } from './config.js';
import { validateWebhookConfig } from './config.js';
import { encodeWebhookPayload } from './encode.js';

export function createWebhookReceiver(config: WebhookConfig): Receiver {
  const problems = validateWebhookConfig(config);
  if (problems.length > 0) throw new ReceiverConfigError('webhook', problems);
  const { url } = config;
  const maxAlerts = config.max_alerts ?? 0;
  return {
    name: config.name ?? defaultReceiverName('webhook', url),
    type: 'webhook',
    ...commonReceiverFields(config, { sendResolved: true }),
    send: (notification, options) => postJson(url, encodeWebhookPayload(notification, maxAlerts), options),
  };
}
