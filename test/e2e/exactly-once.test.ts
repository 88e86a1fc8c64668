import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { GPU_STREAM, ensureStreams } from '@kiln/nats';
import { Fleet, publishFleet } from '@kiln/simulator';
import { startTestNatsServer, tempDir, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { encodeMessage, gpuSubject } from '@kiln/wire';
import {
  crashAtEveryBatchPoint,
  rawCounts,
  rollupMismatches,
  rollupTemperatures,
  writeCrashTestConfig,
} from '../support/exactness.js';
import { freePort, spawnKiln, spawnKilnStore, type KilnProcess } from '../support/kiln-process.js';

/**
 * Exactly-once storage across crashes: a real `kiln aggregator` process SIGKILLed at every point of a batch's life
 * (after its intent is recorded, after the insert, after the checkpoint, after the acks) and at a random moment, then
 * restarted; JetStream redelivers; an agent replays samples under new message ids. Raw rows and rollups stay exact.
 */
describe('exactly-once storage', () => {
  const CLUSTER = 'eo-ai1';
  let nats: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let store: KilnProcess;
  let configFile: string;
  let chUrl: string;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let ch: ClickHouseClient;
  let expected = 0;
  let fleetStart = 0;

  const aggregator = (failpoints?: string): KilnProcess =>
    spawnKiln('aggregator', ['aggregator', '--config', configFile], {
      KILN_CLICKHOUSE_URL: chUrl,
      ...(failpoints ? { KILN_FAILPOINTS: failpoints } : {}),
    });

  const drained = async (): Promise<boolean> => {
    const info = await jsm.consumers.info(GPU_STREAM, 'kiln-aggregator');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };

  const counts = () => rawCounts(ch);

  beforeAll(async () => {
    nats = await startTestNatsServer();
    dir = await tempDir('kiln-eo-');
    const port = await freePort();
    chUrl = `http://127.0.0.1:${port}`;
    configFile = await writeCrashTestConfig(dir.path, nats.url, port);
    store = (await spawnKilnStore(configFile, port)).process;
    ch = createClient({ url: chUrl });
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    fleetStart = Math.floor((Date.now() - 6 * 60_000) / 1000) * 1000;
    const fleet = new Fleet({ cluster: CLUSTER, racks: 1, seed: 3, startMs: fleetStart });
    const published = await publishFleet(js, fleet, { mode: 'replay', ticks: 300 });
    expected = published.samples;
  }, 180_000);

  afterAll(async () => {
    await store?.stop();
    await nc?.close();
    await ch?.close();
    await nats?.dispose();
    await dir?.remove();
  });

  it('survives a SIGKILL at every point of a batch and at a random moment', async () => {
    await crashAtEveryBatchPoint(aggregator);
    const victim = aggregator();
    await waitUntil('progress', async () => (await counts()).n > 0, 60_000);
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 400));
    await victim.kill();

    const survivor = aggregator();
    await waitUntil('the stream to drain', drained, 120_000, 250).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${survivor.output()}`);
    });
    const c = await counts();
    expect(c.n).toBe(expected);
    expect(c.ids).toBe(expected);
    await survivor.stop();
  });

  it('keeps rollups equal to aggregating the raw table', async () => {
    const c = await counts();
    for (const table of ['gpu_rollup_10s', 'gpu_rollup_1m'] as const) {
      const r = await rollupTemperatures(ch, table);
      expect(r.n, table).toBe(c.temps);
      expect(r.sum, table).toBeCloseTo(c.tempSum, 0);
    }
    expect(await rollupMismatches(ch)).toBe(0);
  });

  it('drops samples an agent replays under new message ids', async () => {
    const again = new Fleet({ cluster: CLUSTER, racks: 1, seed: 3, startMs: fleetStart });
    for (let t = 0; t < 30; t++) {
      for (const m of again.tick()) {
        await js.publish(gpuSubject(m.cluster, m.rack, m.host), encodeMessage(m), {
          msgID: `${m.host}:reinstalled-${m.seq}`,
        });
      }
    }
    const p = aggregator();
    await waitUntil('the replay to drain', drained, 60_000, 250);
    const c = await counts();
    expect(c.n).toBe(expected);
    expect(c.ids).toBe(expected);
    await p.stop();
  });

  it('settles a stored batch whose acknowledgement was lost, before JetStream would redeliver it', async () => {
    // One message after the first 300 ticks, so one batch, whose acknowledgement the process skips as if lost.
    const [m] = new Fleet({ cluster: CLUSTER, racks: 1, seed: 3, startMs: fleetStart + 300_000 }).tick();
    await js.publish(gpuSubject(m!.cluster, m!.rack, m!.host), encodeMessage(m!), {
      msgID: `${m!.host}:later-${m!.seq}`,
    });
    expected += m!.gpus.length;
    const p = aggregator('lose-ack=1');
    await waitUntil('the batch stored', async () => (await counts()).n === expected, 30_000, 250);
    expect((await jsm.consumers.info(GPU_STREAM, 'kiln-aggregator')).num_ack_pending).toBeGreaterThan(0);
    // The consumer waits 60 s for an acknowledgement; the aggregator notices well before and starts its run again.
    const started = Date.now();
    await waitUntil('nothing left unacknowledged', drained, 40_000, 250);
    expect(Date.now() - started).toBeLessThan(40_000);
    const c = await counts();
    expect(c.n).toBe(expected);
    expect(c.ids).toBe(expected);
    await p.stop();
  }, 90_000);
});
