import { hashString } from '../../fingerprint.js';
import { commonReceiverFields } from '../common-config.js';
import { postJson } from '../http.js';
import type { DeliveryResult, Receiver } from '../receiver.js';
import { defaultReceiverName } from '../receiver.js';
import type { PagerDutyConfig } from './config.js';
import { PAGERDUTY_RATE_LIMIT } from './config.js';
import { encodePagerDutyEvent, encodePagerDutyGroupEvent } from './encode.js';

/**
 * Sends one Events API v2 event per alert whose state is news to PagerDuty (the notification's updates), in order,
 * stopping at the first failure; with `incident: group`, one event per notification, for the group. A retry sends
 * them all again; PagerDuty folds the repeats into the open alerts by dedup_key. Receivers sharing a routing key
 * share its rate limit.
 */
export function createPagerDutyReceiver(config: PagerDutyConfig): Receiver {
  const { url } = config;
  const routingKey = config.routing_key;
  return {
    name: config.name ?? defaultReceiverName('pagerduty', `${url} ${routingKey}`),
    type: 'pagerduty',
    ...commonReceiverFields(config, { sendResolved: true, rateLimit: PAGERDUTY_RATE_LIMIT }),
    rateLimitKey: `pagerduty:${hashString(routingKey)}`,
    requestsFor: (notification) => (config.incident === 'group' ? 1 : notification.updates.length),
    async send(notification, options) {
      if (config.incident === 'group')
        return postJson(url, encodePagerDutyGroupEvent(notification, routingKey), options);
      let result: DeliveryResult = { ok: false, retryable: false, error: 'notification without updates' };
      for (const alert of notification.updates) {
        result = await postJson(url, encodePagerDutyEvent(alert, routingKey, notification.externalURL), options);
        if (!result.ok) return result;
      }
      return result;
    },
  };
}
