import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { createStore, type Store } from '@kiln/store';
import { startTestNatsServer, tempDir, type TestNatsServer } from '@kiln/testkit';
import { CHECKPOINT_BUCKET, type AggregatorStore } from '../src/index.js';

/** What the aggregator runs against in these tests: a real nats-server with Kiln's streams, and the embedded engine. */
export interface AggregatorRig {
  readonly nats: TestNatsServer;
  readonly dir: string;
  readonly store: Store;
  /** The store as the aggregator uses it. */
  readonly sink: AggregatorStore;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** Checkpoints consumer `name` at the stream's end: it reads what is published from now on (other tests stored the rest). */
  checkpointAtStreamEnd(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startAggregatorRig(prefix: string): Promise<AggregatorRig> {
  const nats = await startTestNatsServer();
  const dir = await tempDir(prefix);
  const store = await createStore({ dataDir: dir.path });
  await store.migrate();
  const nc = await connect({ servers: nats.url });
  await ensureStreams(await jetstreamManager(nc), { replicas: 1 });
  const js = jetstream(nc);
  return {
    nats,
    dir: dir.path,
    store,
    sink: {
      insertSamples: (b, t) => store.insertSamples(b, t),
      insertDeadLetters: (r, t) => store.insertDeadLetters(r, t),
      query: (sql) => store.query(sql),
    },
    nc,
    js,
    async checkpointAtStreamEnd(name) {
      const checkpoints = await new Kvm(js).create(CHECKPOINT_BUCKET, { history: 1 });
      await checkpoints.put(name, JSON.stringify({ stored: (await (await jetstreamManager(nc)).streams.info(GPU_STREAM)).state.last_seq }));
    },
    async close() {
      await nc.close();
      await store.close();
      await nats.dispose();
      await dir.remove();
    },
  };
}
