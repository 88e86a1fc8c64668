import type { Alert, Annotations, Labels } from '../../alert.js';
import type { Notification } from '../../notify/notification.js';
import { commonEntries } from '../../labels/format.js';
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
  /** Why the group is notified now (Alertmanager v0.34). */
  readonly notification_reason: string;
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

/** The payload for a notification; with `maxAlerts` > 0 only that many alerts, the rest counted as truncated. */
export function encodeWebhookPayload(notification: Notification, maxAlerts = 0): WebhookPayload {
  const all = notification.alerts;
  const alerts = maxAlerts > 0 && all.length > maxAlerts ? all.slice(0, maxAlerts) : all;
  return {
    version: '4',
    groupKey: notification.groupKey,
    truncatedAlerts: all.length - alerts.length,
    status: notification.status,
    receiver: notification.receiver,
    groupLabels: notification.groupLabels,
    commonLabels: commonEntries(all.map((a) => a.labels)),
    commonAnnotations: commonEntries(all.map((a) => a.annotations)),
    externalURL: notification.externalURL,
    notification_reason: notification.reason,
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
