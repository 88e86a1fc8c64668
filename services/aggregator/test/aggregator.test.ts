import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { parseConfig, type KilnConfig } from '@kiln/config';
import { silentLogger } from '@kiln/log';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { Fleet, publishFleet } from '@kiln/simulator';
import { createStore, type Store } from '@kiln/store';
import { startTestNatsServer, tempDir, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startAggregator, type AggregatorStore } from '../src/index.js';

/** The aggregator in process, against a real nats-server and the embedded engine. */
describe('aggregator', () => {
  let nats: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let store: Store;
  let nc: NatsConnection;
  let config: KilnConfig;
  let sink: AggregatorStore;

  beforeAll(async () => {
    nats = await startTestNatsServer();
    dir = await tempDir('kiln-agg-');
    store = await createStore({ dataDir: dir.path });
    await store.migrate();
    sink = {
      insertSamples: (b, t) => store.insertSamples(b, t),
      insertDeadLetters: (r, t) => store.insertDeadLetters(r, t),
      query: (sql) => store.query(sql),
    };
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { replicas: 1 });
    config = parseConfig({ data_dir: dir.path, nats: { url: nats.url }, aggregator: { batch_rows: 500, flush_ms: 50 } }, { env: {} });
  });

  afterAll(async () => {
    await nc?.close();
    await store?.close();
    await nats?.dispose();
    await dir?.remove();
  });

  const drained = async (): Promise<boolean> => {
    const info = await (await jetstreamManager(nc)).consumers.info(GPU_STREAM, config.aggregator.consumer);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  const count = async (sql: string): Promise<number> => Number((await store.query<{ n: number | string }>(sql))[0]!.n);

  it('stores samples, dead-letters a bad message, windows and raises alerts, then resumes where it stopped', async () => {
    const js = jetstream(nc);
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 180_000;
    const fleet = new Fleet({ cluster: 'agg-ai1', racks: 1, seed: 2, startMs, faults: [] });
    const first = await publishFleet(js, fleet, { mode: 'replay', ticks: 60 });
    await js.publish(gpuSubject('agg-ai1', 'r0001', 'r0001-t01'), '{"v":1', { msgID: 'bad-1' });

    const service = await startAggregator(config, { nc, store: sink, log: silentLogger() });
    await waitUntil('drain', drained, 60_000, 100);
    expect(await count('SELECT count() AS n FROM kiln.gpu_samples')).toBe(first.samples);
    expect(await count("SELECT count() AS n FROM kiln.dead_letters WHERE reason = 'invalid_json'")).toBe(1);
    const stats = service.stats;
    expect(stats.rejected).toBe(1);
    expect(stats.samplesStored).toBe(first.samples);
    expect(service.windows.windowsClosed).toBeGreaterThan(72 * 4);
    expect(service.partitions()).toEqual([0]);
    expect(service.consumers()).toEqual([config.aggregator.consumer]);
    await service.stop();

    // A second process-lifetime picks up after the checkpoint: nothing twice, nothing missed.
    const second = await publishFleet(js, fleet, { mode: 'replay', ticks: 60 });
    const again = await startAggregator(config, { nc, store: sink, log: silentLogger() });
    await waitUntil('drain', drained, 60_000, 100);
    expect(await count('SELECT count() AS n FROM kiln.gpu_samples')).toBe(first.samples + second.samples);
    expect(await count('SELECT uniqExact(host, gpu, ts) AS n FROM kiln.gpu_samples')).toBe(first.samples + second.samples);
    expect(again.stats.duplicateSamples).toBe(0);
    await again.stop();
  });
});
