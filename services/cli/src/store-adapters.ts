import type { AggregatorStore } from '@kiln/aggregator';
import type { AlertHistorySink } from '@kiln/alerter';
import type { Store } from '@kiln/store';

/** The aggregator's view of the store. */
export function aggregatorStore(store: Store): AggregatorStore {
  return {
    insertSamples: (batch, token) => store.insertSamples(batch, token),
    insertDeadLetters: (rows, token) => store.insertDeadLetters(rows, token),
  };
}

/** Alert history rows for Grafana, from the alerter's history entries. */
export function alertHistory(store: Store): AlertHistorySink {
  return {
    record: (entries, token) => store.insertAlertHistory(entries, token),
  };
}
