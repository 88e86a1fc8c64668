import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { createStore, type Store } from '@kiln/store';
import { startTestNatsServer, tempDir, type TestNatsServer } from '@kiln/testkit';
import { CHECKPOINT_BUCKET, openIngest, type Ingest, type IngestStore } from '../src/index.js';

/**
 * Ingest serving every partition of the configuration, as one aggregator alone in its group ends up doing (the
 * aggregator's leases decide that; these tests are about what a partition does once served).
 */
export async function serveEveryPartition(
  config: KilnConfig,
  deps: { nc: NatsConnection; store: IngestStore; log: Logger },
): Promise<Ingest> {
  const ingest = await openIngest(config, { ...deps, onLost: () => undefined });
  for (let k = 0; k < config.nats.partitions; k++) await ingest.serve(k);
  return ingest;
}

/** What ingest runs against in these tests: a real nats-server with Kiln's streams, and the embedded engine. */
export interface IngestRig {
  readonly nats: TestNatsServer;
  readonly dir: string;
  readonly store: Store;
  /** The store as ingest uses it. */
  readonly sink: IngestStore;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** Checkpoints consumer `name` at the stream's end: it reads what is published from now on (other tests stored the rest). */
  checkpointAtStreamEnd(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startIngestRig(prefix: string): Promise<IngestRig> {
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
      newestStored: (b, r) => store.newestStored(b, r),
      storedIdentities: (b, r) => store.storedIdentities(b, r),
      insertEvents: (e, t) => store.insertEvents(e, t),
      eventStored: (e) => store.eventStored(e),
    },
    nc,
    js,
    async checkpointAtStreamEnd(name) {
      const checkpoints = await new Kvm(js).create(CHECKPOINT_BUCKET, { history: 1 });
      await checkpoints.put(
        name,
        JSON.stringify({ stored: (await (await jetstreamManager(nc)).streams.info(GPU_STREAM)).state.last_seq }),
      );
    },
    async close() {
      await nc.close();
      await store.close();
      await nats.dispose();
      await dir.remove();
    },
  };
}
