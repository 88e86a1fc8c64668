import type { GpuEvent, SampleBatch } from '@kiln/wire';

/** A rejected message as the dead-letter table keeps it. */
export interface DeadLetter {
  /** When it was rejected, Unix ms. */
  receivedAt: number;
  subject: string;
  reason: string;
  detail: string;
  body: Uint8Array;
  /** Its sequence in the dead-letter stream, which keeps the original bytes and subject. */
  streamSeq: number;
}

/**
 * What ingest needs from storage (the sink of the pipeline); @kiln/store's Store provides it. Each call is one
 * attempt: the committer retries a failed step of its write sequence (see docs/architecture.md).
 */
export interface IngestStore {
  /** Inserts the batch's rows; the same token with the same rows is stored once. */
  insertSamples(batch: SampleBatch, token: string): Promise<void>;
  insertDeadLetters(rows: DeadLetter[], token: string): Promise<void>;
  /**
   * For each of the given rows, its GPU's newest stored ts from the rows' earliest ts on, by row (-Infinity where
   * nothing of that GPU is stored since then).
   */
  newestStored(batch: SampleBatch, rows: readonly number[]): Promise<Float64Array>;
  /** Of the given rows, those whose sample identity (cluster, rack, host, gpu, ts) is stored already. */
  storedIdentities(batch: SampleBatch, rows: readonly number[]): Promise<Set<number>>;
  /** Inserts events into gpu_events; the same token with the same events is stored once. */
  insertEvents(events: readonly GpuEvent[], token: string): Promise<void>;
  /** Whether gpu_events holds the event already (its cluster, rack, host and seq). */
  eventStored(event: GpuEvent): Promise<boolean>;
}
