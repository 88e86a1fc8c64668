import type { AlertHistorySink } from '@kiln/alerter';
import type { IngestStore } from '@kiln/ingest';
import { DEFAULT_RETRY_POLICY, withRetry, type Store } from '@kiln/store';

/** Ingest's view of the store. */
export function aggregatorStore(store: Store): IngestStore {
  return {
    insertSamples: (batch, token) => store.insertSamples(batch, token),
    insertDeadLetters: (rows, token) => store.insertDeadLetters(rows, token),
    newestStored: (batch, rows) => store.newestStored(batch, rows),
    storedIdentities: (batch, rows) => store.storedIdentities(batch, rows),
    insertEvents: (events, token) => store.insertEvents(events, token),
    eventStored: (event) => store.eventStored(event),
  };
}

/**
 * Alert history rows (kiln.alerts, for Grafana) from the alerter's history entries. A failing write is retried a few
 * times under the same token, then given up (the alerter logs it): the history is a record, not the alert.
 */
export function alertHistory(store: Store): AlertHistorySink {
  return {
    record: (entries, token) => {
      const rows = entries.map((e) => ({
        at: e.at,
        event: e.event,
        labels: e.alert.labels,
        annotations: e.alert.annotations,
        fingerprint: e.alert.fingerprint,
        startsAt: e.alert.startsAt,
        endsAt: e.alert.endsAt ?? null,
        ...(e.receiver !== undefined ? { receiver: e.receiver } : {}),
        ...(e.event === 'notified' || e.event === 'notify_failed'
          ? { outcome: e.event === 'notified' ? 'ok' : 'failed' }
          : {}),
        // Why the group was notified (Alertmanager's notification_reason) travels with the outcome's detail.
        ...(e.detail !== undefined || e.reason !== undefined
          ? { detail: [e.detail, e.reason && `reason: ${e.reason}`].filter(Boolean).join('; ') }
          : {}),
        ...(e.attempts !== undefined ? { attempts: e.attempts } : {}),
      }));
      return withRetry('insert alert history', DEFAULT_RETRY_POLICY, undefined, () =>
        store.insertAlertHistory(rows, token),
      );
    },
  };
}
