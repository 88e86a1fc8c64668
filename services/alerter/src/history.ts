import type { Alert } from '@kiln/alerts';

/**
 * One line of alert history, for the alerts table Grafana reads: an alert changing state (`firing`, `resolved`,
 * `flapping`) or the outcome of a notification about it (`notified`, `notify_failed`). The events are named as the
 * table stores them (docs/storage.md), so rows and dashboards need no translation. The alert carries its labels and
 * annotations, whose description holds the detector's evidence.
 */
export interface AlertHistoryEntry {
  /** When: event time for state changes, wall clock for notification outcomes (Unix ms). */
  at: number;
  event: 'firing' | 'resolved' | 'flapping' | 'notified' | 'notify_failed';
  alert: Alert;
  /** For outcomes: the receiver notified, the attempts it took, and the HTTP status or error. */
  receiver?: string;
  attempts?: number;
  detail?: string;
  /** For outcomes: the group notified and why (Alertmanager's notification_reason). */
  groupKey?: string;
  reason?: string;
}

/**
 * Where history goes (the store's kiln.alerts table). `token` identifies a batch so that a retried write lands once;
 * the same state change always yields the same token.
 */
export interface AlertHistorySink {
  record(entries: AlertHistoryEntry[], token: string): Promise<void>;
}
