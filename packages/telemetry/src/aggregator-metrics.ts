import type { Meter } from '@opentelemetry/api';
import { METRIC_NAMES, REJECT_REASONS, type DecodeStats } from '@kiln/wire';

/** The aggregator's counters (IngestStats of @kiln/ingest), read at each collection. */
export interface AggregatorCounters {
  readonly messages: number;
  readonly samplesStored: number;
  readonly redeliveriesSkipped: number;
  readonly duplicateSamples: number;
  readonly batches: number;
  readonly insertRetries: number;
  readonly alertsEmitted: number;
  readonly decode: DecodeStats;
}

/** The window core's counters and watermark (WindowCore of @kiln/window). */
export interface WindowCounters {
  readonly windowsClosed: number;
  readonly late: number;
  readonly early: number;
  /** Event time up to which windows close, Unix ms; not finite before the first sample. */
  readonly watermark: number;
}

const REASON_ATTRIBUTES = REJECT_REASONS.map((reason) => ({ reason }));
const METRIC_ATTRIBUTES = METRIC_NAMES.map((metric) => ({ metric }));

/**
 * The ingest stage's metrics, observed from the counters the aggregator keeps anyway: nothing runs per sample, one
 * callback reads them all when a collection (a scrape, an OTLP push) asks.
 */
export function observeAggregator(
  meter: Meter,
  stats: AggregatorCounters,
  windows: WindowCounters,
  now: () => number = Date.now,
): void {
  const counter = (name: string, description: string) => meter.createObservableCounter(name, { description });
  const messages = counter(
    'kiln_ingest_messages_total',
    'Messages read from the GPU stream (redeliveries of messages already in hand excluded)',
  );
  const decoded = counter('kiln_ingest_messages_decoded_total', 'Messages that decoded and validated');
  const rejected = counter(
    'kiln_ingest_messages_rejected_total',
    'Messages rejected whole and dead-lettered, by reason',
  );
  const redeliveries = counter(
    'kiln_ingest_redeliveries_skipped_total',
    'Redelivered messages skipped because they were stored or in a batch being written',
  );
  const samplesDecoded = counter('kiln_ingest_samples_decoded_total', 'GPU-samples decoded from accepted messages');
  const samplesStored = counter(
    'kiln_ingest_samples_stored_total',
    'GPU-samples stored in kiln.gpu_samples (their batch durable and acknowledged)',
  );
  const duplicates = counter(
    'kiln_ingest_samples_duplicate_total',
    'GPU-samples dropped because their identity was already stored (replays under new message ids)',
  );
  const fieldFaults = counter(
    'kiln_ingest_field_faults_total',
    'Metric values out of range or not finite, stored as absent, by metric',
  );
  const unknownFields = counter(
    'kiln_ingest_unknown_fields_total',
    'Unknown fields ignored in accepted messages, by field name',
  );
  const late = counter(
    'kiln_window_late_samples_total',
    'GPU-samples that arrived after all their windows had closed (stored raw; rollups merge them)',
  );
  const early = counter(
    'kiln_window_early_samples_total',
    "GPU-samples too far ahead of their partition's event time to be windowed (an agent clock far ahead of its rack; stored raw)",
  );
  const closed = counter('kiln_windows_closed_total', 'Per-GPU event-time windows closed');
  const batches = counter(
    'kiln_insert_batches_total',
    'Batches made durable: samples inserted, dead letters and alert events published, checkpoint written',
  );
  const retries = counter(
    'kiln_insert_retries_total',
    'Retried steps of making a batch durable (insert, checkpoint, dead letters, alert events)',
  );
  const alertEvents = counter(
    'kiln_detector_alert_events_total',
    'Alert events (firing and resolved) published by the detectors',
  );
  const closeDelay = meter.createObservableGauge('kiln_window_close_delay_seconds', {
    description:
      'Wall clock minus the event-time watermark: how far behind real time windows close (allowed lateness included)',
  });
  meter.addBatchObservableCallback(
    (result) => {
      const d = stats.decode;
      result.observe(messages, stats.messages);
      result.observe(decoded, d.accepted);
      for (let i = 0; i < REASON_ATTRIBUTES.length; i++) result.observe(rejected, d.rejected[i]!, REASON_ATTRIBUTES[i]);
      result.observe(redeliveries, stats.redeliveriesSkipped);
      result.observe(samplesDecoded, d.rows);
      result.observe(samplesStored, stats.samplesStored);
      result.observe(duplicates, stats.duplicateSamples);
      for (let i = 0; i < METRIC_ATTRIBUTES.length; i++)
        result.observe(fieldFaults, d.fieldFaults[i]!, METRIC_ATTRIBUTES[i]);
      for (const [field, n] of d.unknownFields) result.observe(unknownFields, n, { field });
      result.observe(late, windows.late);
      result.observe(early, windows.early);
      result.observe(closed, windows.windowsClosed);
      result.observe(batches, stats.batches);
      result.observe(retries, stats.insertRetries);
      result.observe(alertEvents, stats.alertsEmitted);
      if (Number.isFinite(windows.watermark)) result.observe(closeDelay, (now() - windows.watermark) / 1000);
    },
    [
      messages,
      decoded,
      rejected,
      redeliveries,
      samplesDecoded,
      samplesStored,
      duplicates,
      fieldFaults,
      unknownFields,
      late,
      early,
      closed,
      batches,
      retries,
      alertEvents,
      closeDelay,
    ],
  );
}
