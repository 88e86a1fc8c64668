import { postJson } from '../http.js';
import type { DeliveryResult, Receiver } from '../receiver.js';
import { defaultReceiverName, ReceiverConfigError } from '../receiver.js';
import type { PagerDutyConfig } from './config.js';
import { PAGERDUTY_EVENTS_URL, validatePagerDutyConfig } from './config.js';
import { encodePagerDutyEvent } from './encode.js';

/**
 * Sends one Events API v2 event per alert of the notification, in order, stopping at the first failure. A retry
 * sends them all again; PagerDuty folds the repeats into the open alerts by dedup_key.
 */
export function createPagerDutyReceiver(config: PagerDutyConfig): Receiver {
  const problems = validatePagerDutyConfig(config);
  if (problems.length > 0) throw new ReceiverConfigError('pagerduty', problems);
  const url = config.url ?? PAGERDUTY_EVENTS_URL;
  const routingKey = config.routing_key;
  return {
    name: config.name ?? defaultReceiverName('pagerduty', `${url} ${routingKey}`),
    type: 'pagerduty',
    async send(notification, options) {
      let result: DeliveryResult = { ok: false, retryable: false, error: 'notification without alerts' };
      for (const alert of notification.alerts) {
        result = await postJson(url, encodePagerDutyEvent(alert, routingKey, notification.externalURL), options);
        if (!result.ok) return result;
      }
      return result;
    },
  };
}
