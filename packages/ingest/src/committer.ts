import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '@kiln/log';
import { GPU_STREAM } from '@kiln/nats';
import type { CheckpointStore, PendingBatch } from './checkpoint.js';
import { storeDeadLetters } from './dead-letters.js';
import { ackLost, failpoint } from './failpoints.js';
import type { SampleIdentityCheck } from './identity-check.js';
import type { IngestBatch } from './ingest-batch.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestStore } from './ingest-store.js';
import { retryUntilDone, type RetryContext } from './retry-until-done.js';
import { toRanges } from './row-ranges.js';

/**
 * The storage write sequence of a partition's batches, one batch at a time in stream order: identity check, intent
 * (the checkpoint's pending batch), raw rows, dead letters, alert events, checkpoint, acknowledgement. See
 * CheckpointStore for how a crash between any two steps leaves every sample stored exactly once.
 */
export class Committer {
  /** Every message of the partition up to this stream sequence is stored. */
  stored = 0;
  /** Batches being written whose rows still wait for their identity check (they hold GPU ids). */
  checking = 0;
  private readonly retry: RetryContext;

  constructor(
    private readonly deps: {
      /** Prefixes the batches' insert deduplication tokens: the partition's durable consumer. */
      tokenPrefix: string;
      js: JetStreamClient;
      store: IngestStore;
      checkpoint: CheckpointStore;
      identity: SampleIdentityCheck;
      stats: IngestStats;
      log: Logger;
      stopping: () => boolean;
    },
  ) {
    this.retry = { stats: deps.stats, log: deps.log, stopping: deps.stopping };
  }

  /** Makes a batch durable (retrying each step until it is), then acknowledges its messages. */
  async commit(b: IngestBatch): Promise<void> {
    const started = Date.now();
    const { checkpoint, store, stats, log } = this.deps;
    const token = `${this.deps.tokenPrefix}:${b.first}-${b.last}`;
    // The identity check comes before the intent, which records its verdict: a rebuilt batch must be the same rows.
    b.decodedRows = b.samples.length;
    if (b.suspects.length > 0 || b.recorded !== undefined) {
      this.checking++;
      try {
        await retryUntilDone('sample identity check', () => this.deps.identity.dropRepeated(b), this.retry);
      } finally {
        this.checking--;
      }
    }
    const pending: PendingBatch = { first: b.first, last: b.last, nowMs: b.nowMs, rows: b.decodedRows };
    if (b.repeated.length > 0) pending.repeated = toRanges(b.repeated);
    await retryUntilDone('checkpoint', () => checkpoint.write({ stored: this.stored, pending }), this.retry);
    failpoint('after-intent');
    if (b.samples.length > 0)
      await retryUntilDone('insert samples', () => store.insertSamples(b.samples, `samples:${token}`), this.retry);
    failpoint('after-insert');
    if (b.rejected.length > 0)
      await retryUntilDone(
        'dead letters',
        () => storeDeadLetters(this.deps.js, store, GPU_STREAM, b.rejected, b.nowMs, token),
        this.retry,
      );
    await retryUntilDone('alert events', () => Promise.all(b.alertPublishes), this.retry);
    await retryUntilDone('checkpoint', () => checkpoint.write({ stored: b.last }), this.retry);
    failpoint('after-checkpoint');
    this.stored = b.last;
    // One acknowledgement covers the batch: the partition's consumer acknowledges all (AckPolicy.All, safe because
    // only the partition's owner pulls from it) and batches are made durable in stream order.
    if (!ackLost()) b.lastMessage?.ack();
    failpoint('after-ack');
    stats.samplesStored += b.samples.length;
    stats.batches++;
    stats.lastFlushMs = Date.now() - started;
    log.debug({ first: b.first, last: b.last, rows: b.samples.length, ms: stats.lastFlushMs }, 'batch stored');
  }
}
