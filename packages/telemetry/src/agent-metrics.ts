import type { Meter } from '@opentelemetry/api';

/** The agent's counters (AgentStats of @kiln/agent), taken once per collection. */
export interface AgentCounters {
  readonly connected: boolean;
  readonly ticks: number;
  readonly messages: number;
  readonly emptyTicks: number;
  readonly skippedTicks: number;
  readonly missingGpus: readonly number[];
  readonly published: number;
  readonly replayed: number;
  readonly duplicates: number;
  readonly publishFailures: number;
  readonly spooled: number;
  readonly unspoolable: number;
  readonly spoolPending: number;
  readonly spoolBytes: number;
  readonly spoolDroppedFull: number;
  readonly spoolDroppedAge: number;
  readonly spoolDroppedCorrupt: number;
  readonly collectorRejected: number;
  readonly collectorFailures: number;
}

/** The agent's metrics: ticks, publishing, the spool (depth, and replay rate as the rate of its replay counter). */
export function observeAgent(meter: Meter, stats: () => AgentCounters): void {
  const counter = (name: string, description: string) => meter.createObservableCounter(name, { description });
  const gauge = (name: string, description: string) => meter.createObservableGauge(name, { description });
  const ticks = counter('kiln_agent_ticks_total', 'Sampling ticks taken');
  const emptyTicks = counter('kiln_agent_ticks_empty_total', 'Ticks with no GPU to report');
  const skippedTicks = counter(
    'kiln_agent_ticks_skipped_total',
    'Ticks skipped because the one before overran its interval',
  );
  const messages = counter('kiln_agent_messages_total', 'Messages produced (one per tick with GPUs)');
  const published = counter('kiln_agent_published_messages_total', 'Fresh messages acknowledged by JetStream');
  const replayed = counter(
    'kiln_agent_replayed_messages_total',
    'Spooled messages replayed and acknowledged by JetStream',
  );
  const duplicates = counter(
    'kiln_agent_duplicate_messages_total',
    'Acknowledged messages JetStream reported as duplicates (sent twice, stored once)',
  );
  const failures = counter(
    'kiln_agent_publish_failures_total',
    'Publishes not acknowledged in time or refused (the message is spooled)',
  );
  const spooled = counter('kiln_agent_spooled_messages_total', 'Messages written to the disk spool');
  const unspoolable = counter(
    'kiln_agent_unspoolable_messages_total',
    'Messages lost because the spool could not be written (disk full)',
  );
  const dropped = counter(
    'kiln_agent_spool_dropped_messages_total',
    'Spooled messages dropped unsent, by reason (full, age, corrupt)',
  );
  const collectorRejected = counter(
    'kiln_agent_collector_rejected_rows_total',
    'Source rows or series that could not be used (bad index, bad uuid, unparsable line)',
  );
  const collectorFailures = counter(
    'kiln_agent_collector_failures_total',
    'Restarts of the source process (nvidia-smi) or failed scrapes (dcgm-exporter)',
  );
  const spoolDepth = gauge('kiln_agent_spool_messages', 'Messages waiting in the disk spool');
  const spoolBytes = gauge('kiln_agent_spool_bytes', 'Size of the disk spool');
  const connected = gauge('kiln_agent_connected', '1 while the agent is connected to NATS');
  const missing = gauge('kiln_agent_gpus_missing', 'Expected GPUs absent from the latest tick');
  const instruments = [
    ticks,
    emptyTicks,
    skippedTicks,
    messages,
    published,
    replayed,
    duplicates,
    failures,
    spooled,
    unspoolable,
    dropped,
    collectorRejected,
    collectorFailures,
    spoolDepth,
    spoolBytes,
    connected,
    missing,
  ];
  meter.addBatchObservableCallback((result) => {
    const s = stats();
    result.observe(ticks, s.ticks);
    result.observe(emptyTicks, s.emptyTicks);
    result.observe(skippedTicks, s.skippedTicks);
    result.observe(messages, s.messages);
    result.observe(published, s.published);
    result.observe(replayed, s.replayed);
    result.observe(duplicates, s.duplicates);
    result.observe(failures, s.publishFailures);
    result.observe(spooled, s.spooled);
    result.observe(unspoolable, s.unspoolable);
    result.observe(dropped, s.spoolDroppedFull, { reason: 'full' });
    result.observe(dropped, s.spoolDroppedAge, { reason: 'age' });
    result.observe(dropped, s.spoolDroppedCorrupt, { reason: 'corrupt' });
    result.observe(collectorRejected, s.collectorRejected);
    result.observe(collectorFailures, s.collectorFailures);
    result.observe(spoolDepth, s.spoolPending);
    result.observe(spoolBytes, s.spoolBytes);
    result.observe(connected, s.connected ? 1 : 0);
    result.observe(missing, s.missingGpus.length);
  }, instruments);
}
