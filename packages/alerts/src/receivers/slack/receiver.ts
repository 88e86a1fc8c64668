import { hashString } from '../../fingerprint.js';
import { commonReceiverFields } from '../common-config.js';
import { postJson } from '../http.js';
import type { Receiver } from '../receiver.js';
import { defaultReceiverName } from '../receiver.js';
import type { SlackConfig } from './config.js';
import { SLACK_RATE_LIMIT } from './config.js';
import { encodeSlackMessage } from './encode.js';

/**
 * Posts one message per notification to an incoming webhook. Resolutions are off by default, as in Alertmanager; a
 * 429 is retried after its Retry-After (Alertmanager gives up on it).
 */
export function createSlackReceiver(config: SlackConfig): Receiver {
  const { url } = config;
  return {
    name: config.name ?? defaultReceiverName('slack', url),
    type: 'slack',
    ...commonReceiverFields(config, { sendResolved: false, rateLimit: SLACK_RATE_LIMIT }),
    rateLimitKey: `slack:${hashString(url)}`,
    send: (notification, options) => postJson(url, encodeSlackMessage(notification, config), options),
  };
}
