import { basicAuthorization } from '@kiln/http';
import { commonReceiverFields } from '../common-config.js';
import { postJson } from '../http.js';
import type { Receiver } from '../receiver.js';
import { defaultReceiverName } from '../receiver.js';
import type { AlertmanagerConfig } from './config.js';
import { ALERTMANAGER_RESEND_INTERVAL_MS } from './config.js';
import { encodePostableAlerts } from './encode.js';

/**
 * Forwards alerts to an existing Alertmanager (POST /api/v2/alerts), which then groups, silences and routes them by
 * its own configuration. Firing alerts are re-sent every resend interval, as Prometheus does, so that they stay
 * firing there.
 */
export function createAlertmanagerReceiver(config: AlertmanagerConfig, now: () => number = Date.now): Receiver {
  const url = `${config.url.replace(/\/+$/, '')}/api/v2/alerts`;
  const resendIntervalMs = config.resend_interval_ms ?? ALERTMANAGER_RESEND_INTERVAL_MS;
  const headers: Record<string, string> = config.basic_auth
    ? { authorization: basicAuthorization(config.basic_auth) }
    : {};
  return {
    name: config.name ?? defaultReceiverName('alertmanager', url),
    type: 'alertmanager',
    ...commonReceiverFields(config, { sendResolved: true }),
    resendIntervalMs,
    send: (notification, options) =>
      postJson(url, encodePostableAlerts(notification, now(), resendIntervalMs), options, headers),
  };
}
