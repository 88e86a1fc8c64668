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
  /** Resolves when the consume loop ends (after stop()). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Creates the durable consumer the aggregator reads through (idempotent). */
export async function ensureAggregatorConsumer(jsm: JetStreamManager, name: string): Promise<void> {
  const config = {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: GPU_SUBJECTS,
    // Acks wait for a durable batch; a ClickHouse hiccup must not turn into a redelivery storm.
    ack_wait: nanos(60_000),
    max_ack_pending: 100_000,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.info(GPU_STREAM, name);
    await jsm.consumers.update(GPU_STREAM, name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
  } catch (err) {
    if (!/not found/i.test(String(err))) throw err;
    await jsm.consumers.add(GPU_STREAM, config);
  }
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
  await ensureAggregatorConsumer(jsm, name);
  const js = jetstream(deps.nc);
  const kv = await new Kvm(js).create(CHECKPOINT_BUCKET, { history: 1, replicas: config.nats.replicas });
  const registry = new GpuRegistry();
  let aggregator: Aggregator | undefined;
  const detection = new Detection(registry, config.detect, (e) => aggregator?.publishAlert(e));
  const windows = new WindowCore({
    windowsMs: config.aggregator.windows_ms,
    allowedLatenessMs: config.aggregator.allowed_lateness_ms,
    onClose: (w) => detection.onWindow(w),
  });
  aggregator = new Aggregator({
    js,
    store: deps.store,
    checkpoint: new CheckpointStore(kv, name),
    registry,
    latest: new LatestSample(),
    windows,
    detection,
    log: deps.log,
    config,
  });
  const a = aggregator;
  const done = a.run();
  return { aggregator: a, done, stop: async () => { await a.stop(); await done.catch(() => undefined); } };
}
