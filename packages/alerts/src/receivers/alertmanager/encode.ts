import type { Alert } from '../../alert.js';
import type { Notification } from '../../notify/notification.js';
import { formatRfc3339 } from '../../time.js';

/** Alertmanager's postableAlert (api/v2/openapi.yaml). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

/**
 * The group's alerts as Prometheus would post them: a firing alert is valid for four resend intervals from now (the
 * Alertmanager resolves it by itself if Kiln falls silent), a resolved one ends when it ended, but never later than
 * now, so a clock ahead of the Alertmanager's cannot keep it firing.
 */
export function encodePostableAlerts(
  notification: Notification,
  nowMs: number,
  resendIntervalMs: number,
): PostableAlert[] {
  return notification.alerts.map((alert: Alert) => ({
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: formatRfc3339(alert.startsAt),
    endsAt: formatRfc3339(
      alert.status === 'firing' ? nowMs + 4 * resendIntervalMs : Math.min(alert.endsAt ?? nowMs, nowMs),
    ),
    generatorURL: alert.generatorURL ?? '',
  }));
}
