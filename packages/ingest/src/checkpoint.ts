import type { KV } from '@nats-io/kv';
import { isWrongLastSequence } from '@kiln/nats';

/**
 * The aggregator's write-ahead record, one per partition in the `kiln_aggregator` KV bucket.
 *
 * A batch is a run of the partition's stream sequences [first, last]. Before its rows are inserted the batch is
 * recorded as `pending` together with the clock it was decoded with; once raw rows and dead letters are durable,
 * `stored` moves to `last`. After a crash the pending batch is rebuilt from the stream byte for byte and inserted again
 * under the same deduplication token, so it lands exactly once; messages at or below `stored` that JetStream
 * redelivers (their acks were lost) are acknowledged without being stored again.
 */
export interface Checkpoint {
  /** Every message of this partition with stream sequence <= stored is durably stored. */
  stored: number;
  pending?: PendingBatch;
}

export interface PendingBatch {
  first: number;
  last: number;
  /** Clock the batch was decoded with, so that a rebuilt batch makes the same ts-window decisions. */
  nowMs: number;
  /**
   * The identity check's verdict, taken before the intent was recorded: the batch's rows as decoded, and those of
   * them ([from, to) ranges) already stored by earlier batches. A rebuilt batch drops the same rows instead of asking
   * storage again, where it would find its own rows from an insert the crash cut short and leave the rollup views
   * that insert had not reached yet without them.
   */
  rows?: number;
  repeated?: [number, number][];
}

export const CHECKPOINT_BUCKET = 'kiln_aggregator';

/** Another aggregator has taken the partition: this one must stop writing and let go. */
export class FencedError extends Error {
  constructor(key: string) {
    super(`checkpoint ${key} was written by another aggregator: the partition has a new owner`);
    this.name = 'FencedError';
  }
}

/** How many times claim() reads again when a departing owner writes between its read and its write. */
const CLAIM_ATTEMPTS = 20;

/**
 * Reads and writes one partition's checkpoint with compare-and-set on the KV revision. claim() makes this process the
 * writer: any write of the previous owner after that fails with FencedError, so an owner that stalled past its lease
 * can never record progress (nor insert a batch, which needs its intent recorded first) once another owner has
 * started.
 */
export class CheckpointStore {
  private revision = 0;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
  ) {}

  /** Takes the checkpoint over and returns it. */
  async claim(): Promise<Checkpoint> {
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(this.key);
      const exists = entry !== null && entry.operation === 'PUT' && entry.length > 0;
      const checkpoint = exists ? this.parse(entry.string()) : { stored: 0 };
      try {
        const body = JSON.stringify(checkpoint);
        this.revision = exists
          ? await this.kv.update(this.key, body, entry.revision)
          : await this.kv.create(this.key, body);
        return checkpoint;
      } catch (err) {
        if (!isWrongLastSequence(err) || attempt >= CLAIM_ATTEMPTS) throw err;
      }
    }
  }

  async write(checkpoint: Checkpoint): Promise<void> {
    try {
      this.revision = await this.kv.update(this.key, JSON.stringify(checkpoint), this.revision);
    } catch (err) {
      if (isWrongLastSequence(err)) throw new FencedError(this.key);
      throw err;
    }
  }

  private parse(text: string): Checkpoint {
    const value = JSON.parse(text) as Checkpoint;
    if (typeof value?.stored !== 'number') throw new Error(`corrupt checkpoint ${this.key}: ${text}`);
    return value;
  }
}
