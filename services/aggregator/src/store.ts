import type { SampleBatch } from '@kiln/wire';

/** A rejected message as the dead-letter table keeps it. */
export interface DeadLetter {
  ts: number;
  subject: string;
  reason: string;
  detail: string;
  body: Uint8Array;
  streamSeq: number;
}

/** What the aggregator needs from storage; @kiln/store's Store provides it. */
export interface AggregatorStore {
  insertSamples(batch: SampleBatch, token: string): Promise<void>;
  insertDeadLetters(rows: DeadLetter[], token: string): Promise<void>;
  /** Of the given rows of `batch`, those whose identity (cluster, rack, host, gpu, ts) is already stored. */
  storedRows(batch: SampleBatch, rows: readonly number[]): Promise<Set<number>>;
}
