import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { nanos } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import { Detection, WINDOW_METRICS } from '@kiln/detect';
import type { Logger } from '@kiln/log';
import { GPU_STREAM, isConsumerNotFound, partitionFilter } from '@kiln/nats';
import { PartitionAnalysis, type GpuRegistry, type WindowCore } from '@kiln/window';
import { GPU_SUBJECTS } from '@kiln/wire';
import { AlertPublisher } from './alert-publisher.js';
import { CheckpointStore } from './checkpoint.js';
import { EpisodeJournal } from './episode-journal.js';
import { EventIntake } from './event-intake.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestStore } from './ingest-store.js';
import { LatestSample } from './latest-sample.js';
import { PartitionIngest } from './partition-ingest.js';
import { RunState } from './run-state.js';

/**
 * The durable consumer (and checkpoint key) of partition k: the configured name alone with one partition, so that a
 * single-partition deployment keeps the name it always had.
 */
export function partitionConsumer(config: KilnConfig, partition: number): string {
  const name = config.aggregator.consumer;
  return config.nats.partitions === 1 ? name : `${name}-p${partition}`;
}

/**
 * (Re)creates a partition's durable consumer, positioned just after what the checkpoint says is stored. The
 * checkpoint, not the consumer, is the record of progress: starting from it means messages that a dead owner held
 * unacknowledged come again at once instead of after their ack wait, and nothing stored is read twice beyond acks that
 * were lost. Recreating it also cuts a previous owner off the consumer.
 */
export async function resetPartitionConsumer(
  jsm: JetStreamManager,
  name: string,
  filter: string,
  stored: number,
): Promise<ConsumerInfo> {
  await jsm.consumers.delete(GPU_STREAM, name).catch((err: unknown) => {
    if (!isConsumerNotFound(err)) throw err;
  });
  return jsm.consumers.add(GPU_STREAM, {
    durable_name: name,
    // One ack per batch, for every message of it and before it: only the partition's owner pulls from the consumer.
    ack_policy: AckPolicy.All,
    // A filter equal to the stream's subjects (one partition) is left out: the consumer reads the same messages, and
    // nats-server 2.9 counts a filtered consumer's pending messages by scanning the stream at every info request
    // (53 ms of server CPU per request on a 150,000-message stream, against 1.4 ms unfiltered).
    ...(filter === GPU_SUBJECTS ? {} : { filter_subject: filter }),
    ...(stored > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: stored + 1 }
      : { deliver_policy: DeliverPolicy.All }),
    // Acks wait for a durable batch; a ClickHouse hiccup must not turn into a redelivery storm.
    ack_wait: nanos(60_000),
    max_ack_pending: 100_000,
    max_deliver: -1,
  });
}

export interface PartitionDeps {
  config: KilnConfig;
  js: JetStreamClient;
  jsm: JetStreamManager;
  checkpoints: KV;
  /** The episode journal's bucket (EPISODE_BUCKET). */
  episodes: KV;
  store: IngestStore;
  stats: IngestStats;
  log: Logger;
  /** The partition was taken over by another aggregator (its checkpoint was written by a newer owner). */
  onFenced: () => void;
  /** The run's pull ended or stalled on its own: the partition needs a new run from its checkpoint. */
  onInterrupted: () => void;
}

/** One partition being served: its consumer loop and the state only it owns (GPU ids, windows, detectors). */
export interface RunningPartition {
  readonly partition: number;
  readonly consumer: string;
  readonly ingest: PartitionIngest;
  readonly windows: WindowCore;
  /** The partition's GPUs: how many it tracks now. */
  readonly registry: GpuRegistry;
  /** Stores what is in hand, then stops (handover, shutdown). */
  stop(): Promise<void>;
  /** Stops at once, storing nothing more (the partition has another owner). */
  abandon(): Promise<void>;
}

/**
 * Starts serving partition k: takes its checkpoint over (fencing off a previous owner), repositions its consumer and
 * builds fresh windows and detectors, which take up the alerts the partition had firing (its episode journal);
 * event-time state starts empty, as after any restart.
 */
export async function startPartition(partition: number, deps: PartitionDeps): Promise<RunningPartition> {
  const { config } = deps;
  const consumer = partitionConsumer(config, partition);
  const log = deps.log.child({ partition });
  const checkpoint = new CheckpointStore(deps.checkpoints, consumer);
  const cp = await checkpoint.claim();
  const created = await resetPartitionConsumer(
    deps.jsm,
    consumer,
    partitionFilter(partition, config.nats.partitions),
    cp.stored,
  );
  const state = new RunState();
  const episodes = new EpisodeJournal(deps.episodes, consumer, log);
  const alerts = new AlertPublisher({ js: deps.js, episodes, stats: deps.stats, log, stopping: () => state.stopping });
  // Detectors emit into the publisher; the batch being filled takes what they published when it closes.
  const analysis = new PartitionAnalysis(
    {
      forgetGpuAfterMs: config.aggregator.forget_gpu_after_ms,
      allowedLatenessMs: config.aggregator.allowed_lateness_ms,
      windowsMs: config.aggregator.windows_ms,
      metrics: WINDOW_METRICS,
    },
    (registry) => new Detection(registry, config.detect, (e) => alerts.publish(e)),
  );
  const latest = new LatestSample();
  analysis.registry.addStateOwner(latest);
  const orphans = analysis.analyser.restore(await episodes.load());
  const a = new PartitionIngest({
    consumer,
    consumerCreated: created.created,
    stats: deps.stats,
    onFenced: deps.onFenced,
    onInterrupted: deps.onInterrupted,
    js: deps.js,
    store: deps.store,
    checkpoint,
    analysis,
    latest,
    alerts,
    state,
    log,
    config,
  });
  // Alerts no enabled rule holds any more (a rule turned off since): nothing will judge them, so they resolve now.
  for (const e of orphans) {
    log.warn({ alert: e.labels }, 'resolving a firing alert no enabled rule holds any more');
    alerts.publish({ ...e, status: 'resolved', endsAt: Math.max(e.startsAt, Date.now()) });
  }
  const events = new EventIntake({
    consumer: `${consumer}-events`,
    partition,
    partitions: config.nats.partitions,
    js: deps.js,
    jsm: deps.jsm,
    store: deps.store,
    stats: deps.stats,
    analysis,
    limits: {
      futureSkewMs: config.aggregator.future_skew_ms,
      maxAgeMs: config.clickhouse.raw_retention_days * 86_400_000,
    },
    log,
  });
  // Started first: a partition whose events cannot be read does not start consuming samples either.
  await events.start();
  const done = a.run(cp).catch((err: unknown) => log.error({ err }, 'partition stopped on an error'));
  log.info({ consumer, stored: cp.stored, pending: cp.pending }, 'serving partition');
  return {
    partition,
    consumer,
    ingest: a,
    windows: analysis.windows,
    registry: analysis.registry,
    async stop() {
      await events.stop();
      await a.stop();
      await done;
    },
    async abandon() {
      await events.stop();
      await a.abandon();
    },
  };
}
