import type { Alert, AlertStatus, Labels } from '../alert.js';

/** What one receiver is asked to deliver: a group of alerts, as Alertmanager hands it to an integration. */
export interface Notification {
  /** Name of the receiver it is for (the webhook payload's `receiver`). */
  readonly receiver: string;
  /** Identifies the group across notifications (the webhook payload's `groupKey`). */
  readonly groupKey: string;
  readonly groupLabels: Labels;
  /** `firing` while any alert of the group fires. */
  readonly status: AlertStatus;
  readonly alerts: readonly Alert[];
  /** Link back to the alerter (Alertmanager's externalURL). */
  readonly externalURL: string;
}

export function groupStatus(alerts: readonly Alert[]): AlertStatus {
  return alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
}
