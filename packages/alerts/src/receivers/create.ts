import { createAlertmanagerReceiver } from './alertmanager/receiver.js';
import { createPagerDutyReceiver } from './pagerduty/receiver.js';
import type { Receiver } from './receiver.js';
import { ReceiverConfigError } from './receiver.js';
import { receiverConfigSchema, type ReceiverConfigInput } from './receiver-config.js';
import { createSlackReceiver } from './slack/receiver.js';
import { createWebhookReceiver } from './webhook/receiver.js';

/**
 * The receiver a `notify:` entry describes, checked against the schema the configuration file is checked against
 * (an entry from @kiln/config passes again; one built in code gets the same checks and defaults).
 */
export function createReceiver(entry: ReceiverConfigInput): Receiver {
  const parsed = receiverConfigSchema.safeParse(entry);
  if (!parsed.success) {
    const type: unknown = (entry as { type?: unknown }).type;
    throw new ReceiverConfigError(
      String(type),
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'type'}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  switch (config.type) {
    case 'webhook':
      return createWebhookReceiver(config);
    case 'pagerduty':
      return createPagerDutyReceiver(config);
    case 'slack':
      return createSlackReceiver(config);
    case 'alertmanager':
      return createAlertmanagerReceiver(config);
  }
}
