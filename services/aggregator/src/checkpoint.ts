import type { KV } from '@nats-io/kv';

/**
 * The aggregator's write-ahead record, one per consumer in the `kiln_aggregator` KV bucket.
 *
 * A batch is a contiguous run of stream sequences [first, last]. Before its rows are inserted the batch is recorded
 * as `pending` together with the clock it was decoded with; once raw rows and dead letters are durable, `stored`
 * moves to `last`. After a crash the pending batch is rebuilt from the stream byte for byte and inserted again under
 * the same deduplication token, so it lands exactly once; messages at or below `stored` that JetStream redelivers
 * (their acks were lost) are acknowledged without being stored again.
 */
export interface Checkpoint {
  /** Every message of this consumer with stream sequence <= stored is durably stored. */
  stored: number;
  pending?: PendingBatch;
}

export interface PendingBatch {
  first: number;
  last: number;
  /** Clock the batch was decoded with, so that a rebuilt batch makes the same ts-window decisions. */
  nowMs: number;
}

export const CHECKPOINT_BUCKET = 'kiln_aggregator';

export class CheckpointStore {
  constructor(
    private readonly kv: KV,
    private readonly key: string,
  ) {}

  async read(): Promise<Checkpoint> {
    const entry = await this.kv.get(this.key);
    if (!entry || entry.length === 0) return { stored: 0 };
    const value = entry.json<Checkpoint>();
    if (typeof value?.stored !== 'number') throw new Error(`corrupt checkpoint ${this.key}: ${entry.string()}`);
    return value;
  }

  async write(checkpoint: Checkpoint): Promise<void> {
    await this.kv.put(this.key, JSON.stringify(checkpoint));
  }
}
