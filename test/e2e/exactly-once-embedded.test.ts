import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { GPU_STREAM, ensureStreams } from '@kiln/nats';
import { Fleet, publishFleet } from '@kiln/simulator';
import { startTestNatsServer, tempDir, waitUntil, type TestNatsServer } from '@kiln/testkit';
import {
  crashAtEveryBatchPoint,
  rawCounts,
  rollupMismatches,
  rollupTemperatures,
  writeCrashTestConfig,
} from '../support/exactness.js';
import { freePort, spawnKiln, spawnKilnStore, type KilnProcess } from '../support/kiln-process.js';

/**
 * Exactly-once storage when the aggregator owns the embedded engine, as in `kiln up`: its batches go to the engine in
 * Native form through a body file and `INSERT … SELECT`. A real `kiln aggregator` SIGKILLed at every point of a
 * batch's life and at a random moment, restarted on the same data directory; raw rows and rollups stay exact, counted
 * afterwards through `kiln store` on that directory.
 */
describe('exactly-once storage, embedded engine', () => {
  let nats: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let configFile: string;
  let port: number;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let expected = 0;

  const aggregator = (failpoints?: string): KilnProcess =>
    spawnKiln('aggregator', ['aggregator', '--config', configFile], failpoints ? { KILN_FAILPOINTS: failpoints } : {});
  const consumer = () => jsm.consumers.info(GPU_STREAM, 'kiln-aggregator');

  beforeAll(async () => {
    nats = await startTestNatsServer();
    dir = await tempDir('kiln-eo-embedded-');
    port = await freePort();
    configFile = await writeCrashTestConfig(dir.path, nats.url, port);
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    const fleet = new Fleet({
      cluster: 'eoe-ai1',
      racks: 1,
      seed: 7,
      startMs: Math.floor((Date.now() - 6 * 60_000) / 1000) * 1000,
    });
    expected = (await publishFleet(jetstream(nc), fleet, { mode: 'replay', ticks: 300 })).samples;
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
    await dir?.remove();
  });

  it('survives a SIGKILL at every point of a batch and at a random moment; raw and rollups exact', async () => {
    await crashAtEveryBatchPoint(aggregator);
    const victim = aggregator();
    const acked = (await consumer()).ack_floor.stream_seq;
    await waitUntil('progress', async () => (await consumer()).ack_floor.stream_seq > acked, 60_000);
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 400));
    await victim.kill();

    const survivor = aggregator();
    await waitUntil(
      'the stream to drain',
      async () => {
        const info = await consumer();
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      120_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${survivor.output()}`);
    });
    await survivor.stop();

    const { process: store, url } = await spawnKilnStore(configFile, port);
    const ch = createClient({ url });
    try {
      const c = await rawCounts(ch);
      expect(c.n).toBe(expected);
      expect(c.ids).toBe(expected);
      for (const table of ['gpu_rollup_10s', 'gpu_rollup_1m'] as const) {
        const r = await rollupTemperatures(ch, table);
        expect(r.n, table).toBe(c.temps);
        expect(r.sum, table).toBeCloseTo(c.tempSum, 0);
      }
      expect(await rollupMismatches(ch)).toBe(0);
      // Body files of the inserts the kills cut short were cleared when the engine opened again.
      expect(await readdir(join(dir.path, 'state', 'clickhouse', 'kiln_insert_bodies'))).toEqual([]);
    } finally {
      await ch.close();
      await store.stop();
    }
  }, 300_000);
});
