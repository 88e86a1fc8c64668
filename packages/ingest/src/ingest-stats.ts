import { DecodeStats } from '@kiln/wire';

/** Ingest's counters, shared by the partitions of one process: for progress lines and the metrics endpoint. */
export class IngestStats {
  messages = 0;
  samplesStored = 0;
  rejected = 0;
  redeliveriesSkipped = 0;
  /** Samples dropped because their identity was already stored (replays under new message ids). */
  duplicateSamples = 0;
  /** Events stored in gpu_events, and events found stored already (redeliveries, agents' replays). */
  eventsStored = 0;
  duplicateEvents = 0;
  batches = 0;
  /** Failed steps of the write sequence that were tried again (inserts, checkpoint writes, publishes). */
  insertRetries = 0;
  alertsEmitted = 0;
  lastFlushMs = 0;
  readonly decode = new DecodeStats();
}
