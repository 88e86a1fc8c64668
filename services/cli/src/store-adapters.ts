import type { AggregatorStore } from '@kiln/aggregator';
import type { AlertHistorySink } from '@kiln/alerter';
import type { Store } from '@kiln/store';

/** The aggregator's view of the store. */
export function aggregatorStore(store: Store): AggregatorStore {
  return {
    insertSamples: (batch, token) => store.insertSamples(batch, token),
    insertDeadLetters: (rows, token) => store.insertDeadLetters(rows, token),
    insertEvents: (events, token) => store.insertEvents(events, token),
    query: (sql) => store.query(sql),
  };
}

/** Alert history rows (kiln.alerts, for Grafana) from the alerter's history entries. */
export function alertHistory(store: Store): AlertHistorySink {
  return {
    record: (entries, token) =>
      store.insertAlertHistory(
        entries.map((e) => ({
          at: e.at,
          event: e.event,
          labels: e.alert.labels,
          annotations: e.alert.annotations,
          fingerprint: e.alert.fingerprint,
          startsAt: e.alert.startsAt,
          endsAt: e.alert.endsAt ?? null,
          ...(e.receiver !== undefined ? { receiver: e.receiver } : {}),
          ...(e.event === 'notified' || e.event === 'notify_failed' ? { outcome: e.event === 'notified' ? 'ok' : 'failed' } : {}),
          // Why the group was notified (Alertmanager's notification_reason) travels with the outcome's detail.
          ...(e.detail !== undefined || e.reason !== undefined ? { detail: [e.detail, e.reason && `reason: ${e.reason}`].filter(Boolean).join('; ') } : {}),
          ...(e.attempts !== undefined ? { attempts: e.attempts } : {}),
        })),
        token,
      ),
  };
}
