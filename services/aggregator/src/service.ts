import { AckPolicy, DeliverPolicy, jetstreamManager, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import { Detection } from '@kiln/detect';
import type { Logger } from '@kiln/log';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { GPU_SUBJECTS } from '@kiln/wire';
import { GpuRegistry, LatestSample, WindowCore } from '@kiln/window';
import { Aggregator } from './aggregator.js';
import { CHECKPOINT_BUCKET, CheckpointStore } from './checkpoint.js';
import type { AggregatorStore } from './store.js';

export interface AggregatorService {
  readonly aggregator: Aggregator;
  /** The event-time window core: its watermark and counters, for the metrics endpoint. */
  readonly windows: WindowCore;
  /** Resolves when the consume loop ends (after stop()). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * (Re)creates the durable consumer the aggregator reads through, positioned just after what the checkpoint says is
 * stored. The checkpoint, not the consumer, is the record of progress: starting from it means messages that a dead
 * process held unacknowledged come again at once instead of after their ack wait, and nothing stored is read twice
 * beyond acks that were lost.
 */
export async function resetAggregatorConsumer(jsm: JetStreamManager, name: string, stored: number): Promise<void> {
  await jsm.consumers.delete(GPU_STREAM, name).catch((err: unknown) => {
    if (!/not found/i.test(String(err))) throw err;
  });
  await jsm.consumers.add(GPU_STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    filter_subject: GPU_SUBJECTS,
    ...(stored > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: stored + 1 } : { deliver_policy: DeliverPolicy.All }),
    // Acks wait for a durable batch; a ClickHouse hiccup must not turn into a redelivery storm.
    ack_wait: nanos(60_000),
    max_ack_pending: 100_000,
    max_deliver: -1,
  });
}

/** Wires the aggregator: streams, consumer, checkpoint bucket, the window core and the detectors. */
export async function startAggregator(
  config: KilnConfig,
  deps: { nc: NatsConnection; store: AggregatorStore; log: Logger },
): Promise<AggregatorService> {
  const jsm = await jetstreamManager(deps.nc);
  await ensureStreams(jsm, {
    replicas: config.nats.replicas,
    gpuMaxAgeMs: 24 * 3_600_000,
  });
  const name = config.aggregator.consumer;
  const js = jetstream(deps.nc);
  const kv = await new Kvm(js).create(CHECKPOINT_BUCKET, { history: 1, replicas: config.nats.replicas });
  const checkpoint = new CheckpointStore(kv, name);
  const cp = await checkpoint.read();
  await resetAggregatorConsumer(jsm, name, cp.stored);
  const registry = new GpuRegistry();
  let aggregator: Aggregator | undefined;
  const detection = new Detection(registry, config.detect, (e) => aggregator?.publishAlert(e));
  const windows = new WindowCore({
    windowsMs: config.aggregator.windows_ms,
    allowedLatenessMs: config.aggregator.allowed_lateness_ms,
    onClose: (w) => detection.onWindow(w),
    onPass: (endMs) => detection.onWindowsClosed(endMs),
  });
  aggregator = new Aggregator({
    js,
    store: deps.store,
    checkpoint,
    registry,
    latest: new LatestSample(),
    windows,
    detection,
    log: deps.log,
    config,
  });
  const a = aggregator;
  const done = a.run(cp);
  return { aggregator: a, windows, done, stop: async () => { await a.stop(); await done.catch(() => undefined); } };
}
