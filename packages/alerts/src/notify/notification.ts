import type { Alert, AlertStatus, Labels } from '../alert.js';

/**
 * Why a group is notified (Alertmanager's notification_reason, sent in the webhook payload since v0.34).
 */
export type NotificationReason =
  | 'first notification'
  | 'new alerts added'
  | 'all alerts resolved'
  | 'some alerts resolved'
  | 'repeat interval elapsed';

/** What one receiver is asked to deliver: a group of alerts, as Alertmanager hands it to an integration. */
export interface Notification {
  /** Name of the receiver it is for (the webhook payload's `receiver`). */
  readonly receiver: string;
  /** Identifies the group across notifications (the webhook payload's `groupKey`). */
  readonly groupKey: string;
  readonly groupLabels: Labels;
  /** `firing` while any alert of the group fires. */
  readonly status: AlertStatus;
  /** The group's current state: its firing alerts that are not muted and the resolutions it has news of. */
  readonly alerts: readonly Alert[];
  /**
   * The alerts whose state this receiver has not been told yet (all firing ones on a repeat): what a per-alert
   * integration such as PagerDuty sends, where a group integration (webhook, Slack) sends `alerts`.
   */
  readonly updates: readonly Alert[];
  readonly reason: NotificationReason;
  /** Link back to the alerter (Alertmanager's externalURL). */
  readonly externalURL: string;
}
