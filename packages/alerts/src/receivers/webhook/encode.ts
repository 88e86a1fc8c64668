import type { Alert, Annotations, Labels } from '../../alert.js';
import type { Notification } from '../../notify/notification.js';
import { formatRfc3339, ZERO_TIME_RFC3339 } from '../../time.js';

/** Alertmanager's webhook payload, version 4 (am:docs/configuration.md `<webhook_config>`). */
export interface WebhookPayload {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Labels;
  readonly commonLabels: Labels;
  readonly commonAnnotations: Annotations;
  readonly externalURL: string;
  readonly alerts: readonly WebhookAlert[];
}

export interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Labels;
  readonly annotations: Annotations;
  /** RFC 3339. */
  readonly startsAt: string;
  /** RFC 3339; Go's zero time while firing, as Alertmanager sends it. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export function encodeWebhookPayload(notification: Notification): WebhookPayload {
  const { alerts } = notification;
  return {
    version: '4',
    groupKey: notification.groupKey,
    truncatedAlerts: 0,
    status: notification.status,
    receiver: notification.receiver,
    groupLabels: notification.groupLabels,
    commonLabels: commonEntries(alerts.map((a) => a.labels)),
    commonAnnotations: commonEntries(alerts.map((a) => a.annotations)),
    externalURL: notification.externalURL,
    alerts: alerts.map(encodeAlert),
  };
}

function encodeAlert(alert: Alert): WebhookAlert {
  return {
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: formatRfc3339(alert.startsAt),
    endsAt: alert.endsAt === undefined ? ZERO_TIME_RFC3339 : formatRfc3339(alert.endsAt),
    generatorURL: alert.generatorURL ?? '',
    fingerprint: alert.fingerprint,
  };
}

/** The name/value pairs every record shares. */
function commonEntries(records: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = records;
  const common: Record<string, string> = {};
  if (first === undefined) return common;
  for (const [name, value] of Object.entries(first)) {
    if (rest.every((r) => r[name] === value)) common[name] = value;
  }
  return common;
}
