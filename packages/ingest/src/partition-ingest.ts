import type { JetStreamClient } from '@nats-io/jetstream';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import type { PartitionAnalysis } from '@kiln/window';
import type { AlertPublisher } from './alert-publisher.js';
import { BatchBuilder } from './batch-builder.js';
import { FencedError, type Checkpoint, type CheckpointStore } from './checkpoint.js';
import { Committer } from './committer.js';
import { SampleIdentityCheck } from './identity-check.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestStore } from './ingest-store.js';
import type { LatestSample } from './latest-sample.js';
import { PartitionReader } from './partition-reader.js';
import type { RunState } from './run-state.js';

/** How long a rebuilt run waits for the rest of its messages before it is stored as it is. */
const REPLAY_QUIET_MS = 3_000;

/** A batch is stored once no message has come for this long, whatever flush_ms: the tail of a paused stream waits no more. */
const QUIET_FLUSH_MS = 1_000;

/**
 * A partition's share of aggregator.batch_rows: a process serving every partition buffers at most batch_rows (twice:
 * one batch filling while the other is written), and a partition's batch spans as many ticks of its GPUs as one
 * batch of batch_rows spans of the whole fleet. Ticks per batch are what make the rollup views cheap: a view writes
 * one row per GPU and window present in an insert.
 */
function batchRowsPerPartition(batchRows: number, partitions: number): number {
  return Math.ceil(batchRows / partitions);
}

export interface PartitionIngestDeps {
  /** The partition's durable consumer; also names its checkpoint and prefixes its insert deduplication tokens. */
  consumer: string;
  /** When this run created the consumer: a different one means another owner has recreated it since. */
  consumerCreated: string;
  /** Counters, shared by the partitions of one process. */
  stats: IngestStats;
  /** Called once when another aggregator has taken the partition over (a checkpoint write was fenced off). */
  onFenced: () => void;
  /** Called once when the run's pull ended or stalled on its own: the partition needs a new run from its checkpoint. */
  onInterrupted: () => void;
  js: JetStreamClient;
  store: IngestStore;
  checkpoint: CheckpointStore;
  /** The partition's GPUs, event-time clock, windows and detectors. */
  analysis: PartitionAnalysis;
  /** The partition's duplicate-sample tracker, registered with the analysis' GPU registry. */
  latest: LatestSample;
  /** Where the partition's detectors emit their alert events. */
  alerts: AlertPublisher;
  state: RunState;
  log: Logger;
  config: KilnConfig;
}

/**
 * Serves one partition of the GPU stream as a pipeline: the reader pulls its messages, the batch builder decodes and
 * analyses them into batches, and the committer makes each batch durable (the identity check dropping samples already
 * stored) before one acknowledgement covers it. A message is acknowledged only once the batch holding it is durable
 * (raw rows, dead letters, alert events); see CheckpointStore for how a crash at any point leaves every sample stored
 * exactly once.
 */
export class PartitionIngest {
  private readonly reader: PartitionReader;
  private readonly batches: BatchBuilder;
  private readonly committer: Committer;
  private writing: Promise<void> = Promise.resolve();
  /** When the last message arrived: for the stalled-pull check, the quiet flush and the end of a rebuilt run. */
  private lastMessageWall = Date.now();
  /** The reader waits for a batch to be written: the partition is held back, not quiet. */
  private backpressure = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: PartitionIngestDeps) {
    const { config, state, stats, log } = deps;
    const stopping = (): boolean => state.stopping;
    this.reader = new PartitionReader({
      js: deps.js,
      consumer: deps.consumer,
      consumerCreated: deps.consumerCreated,
      log,
      stopping,
      stop: () => {
        state.stopping = true;
      },
      onFenced: deps.onFenced,
      onInterrupted: deps.onInterrupted,
    });
    this.committer = new Committer({
      tokenPrefix: deps.consumer,
      js: deps.js,
      store: deps.store,
      checkpoint: deps.checkpoint,
      identity: new SampleIdentityCheck({
        store: deps.store,
        latest: deps.latest,
        analyse: (batch, row, gpuId) => deps.analysis.analyse(batch, row, gpuId),
        stats,
        log,
      }),
      stats,
      log,
      stopping,
    });
    this.batches = new BatchBuilder({
      batchRows: batchRowsPerPartition(config.aggregator.batch_rows, config.nats.partitions),
      limits: {
        futureSkewMs: config.aggregator.future_skew_ms,
        maxAgeMs: config.clickhouse.raw_retention_days * 86_400_000,
        partitions: config.nats.partitions,
      },
      stats,
      analysis: deps.analysis,
      latest: deps.latest,
      stored: () => this.committer.stored,
      onRunRebuilt: () => void this.flush(),
    });
  }

  /** Finishes a batch interrupted by a crash, then consumes until stop(). Resolves when consuming ends. */
  async run(cp: Checkpoint): Promise<void> {
    this.committer.stored = cp.stored;
    this.batches.resume(cp);
    if (cp.pending)
      this.deps.log.warn(
        { first: cp.pending.first, last: cp.pending.last },
        'finishing a batch interrupted by a restart',
      );
    await this.reader.open();
    // The tick also moves a quiet partition's event time on and lets detectors conclude: at least ten a second.
    this.timer = setInterval(
      () => this.onTick(),
      Math.max(20, Math.min(100, Math.floor(this.deps.config.aggregator.flush_ms / 2))),
    );
    this.timer.unref();
    await this.reader.read((m) => {
      const now = Date.now();
      this.lastMessageWall = now;
      this.deps.analysis.arrived(now);
      this.batches.accept(m, now);
      return this.batches.full ? this.flushHoldingBack() : undefined;
    });
  }

  /** Flushes a full batch while the reader waits: the partition is held back by its own writes, not quiet. */
  private async flushHoldingBack(): Promise<void> {
    this.backpressure = true;
    await this.flush();
    this.backpressure = false;
  }

  /** Stops consuming, stores what is in hand and waits for it. */
  async stop(): Promise<void> {
    this.deps.state.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.reader.close();
    await this.flush();
    await this.writing;
    await this.deps.alerts.drained();
  }

  /**
   * Stops consuming and drops what is in hand unstored and unacknowledged: the partition has another owner, which
   * reads those messages again from the checkpoint.
   */
  async abandon(): Promise<void> {
    this.deps.state.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.reader.close();
  }

  private onTick(): void {
    const now = Date.now();
    const b = this.batches.filling;
    if (this.batches.rebuilding) {
      // The rest of the interrupted run never came (aged out of the stream): store what there is under its range.
      if (now - this.lastMessageWall > REPLAY_QUIET_MS) this.batches.finishReplay();
    } else if (
      !b.empty &&
      (now - b.openedAt >= this.deps.config.aggregator.flush_ms || now - this.lastMessageWall >= QUIET_FLUSH_MS)
    ) {
      void this.flush();
    }
    this.deps.analysis.tick(now, {
      // A partition waiting for its own writes is not quiet: the messages it has not read yet are not late.
      followWallClock: !this.backpressure,
      // Reclaim GPUs that left, but never while rows awaiting their identity check hold GPU ids: a fast replay can
      // pass a whole horizon of event time within one batch, and a reused id would give such a row another GPU's state.
      mayReclaim: b.suspects.length === 0 && this.committer.checking === 0,
    });
    this.reader.checkStall(
      () => this.lastMessageWall,
      now,
      () => this.batches.settled(),
    );
  }

  /** Swaps in an empty batch and queues the full one for writing; waits only when both buffers are busy. */
  async flush(): Promise<void> {
    while (!this.batches.hasFree) await this.writing;
    const b = this.batches.close();
    if (b === undefined) return;
    // The alert events raised while it filled are acknowledged with it.
    b.alertPublishes.push(...this.deps.alerts.takePending());
    this.writing = this.writing
      .then(() => this.committer.commit(b))
      .catch((err: unknown) => {
        if (err instanceof FencedError) {
          this.deps.state.stopping = true;
          this.deps.onFenced();
        } else this.deps.log.error({ err, first: b.first, last: b.last }, 'batch left pending for the next start');
      })
      .finally(() => this.batches.release(b));
  }
}
