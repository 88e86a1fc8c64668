import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { parseConfig, type KilnConfig } from '@kiln/config';
import { silentLogger } from '@kiln/log';
import { GPU_STREAM } from '@kiln/nats';
import { Fleet, parseFaults, publishFleet } from '@kiln/simulator';
import type { Store } from '@kiln/store';
import { waitUntil, type TestNatsServer } from '@kiln/testkit';
import { encodeMessage, gpuSubject, MAX_GPUS_PER_MESSAGE } from '@kiln/wire';
import type { IngestStore } from '../src/index.js';
import { serveEveryPartition, startIngestRig, type IngestRig } from './rig.js';

/** Ingest in process, against a real nats-server and the embedded engine. */
describe('ingest', () => {
  let rig: IngestRig;
  let nats: TestNatsServer;
  let dir: string;
  let store: Store;
  let nc: NatsConnection;
  let config: KilnConfig;
  let sink: IngestStore;

  beforeAll(async () => {
    rig = await startIngestRig('kiln-agg-');
    ({ nats, dir, store, nc, sink } = rig);
    config = parseConfig(
      { data_dir: dir, nats: { url: nats.url }, aggregator: { batch_rows: 500, flush_ms: 50 } },
      { env: {} },
    );
  });

  afterAll(async () => {
    await rig?.close();
  });

  const drained = async (): Promise<boolean> => {
    const info = await (await jetstreamManager(nc)).consumers.info(GPU_STREAM, config.aggregator.consumer);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  const count = async (sql: string): Promise<number> => Number((await store.query<{ n: number | string }>(sql))[0]!.n);
  const checkpointAtStreamEnd = (name: string): Promise<void> => rig.checkpointAtStreamEnd(name);

  /**
   * Consumer `name` checkpointed at the stream's end, with a config flushing at `batchRows` and never by age, and a
   * store recording the size of each batch it inserts.
   */
  const batchesAtEnd = async (
    name: string,
    batchRows: number,
  ): Promise<{ config: KilnConfig; inserts: number[]; store: IngestStore }> => {
    const inserts: number[] = [];
    await checkpointAtStreamEnd(name);
    return {
      config: parseConfig(
        {
          data_dir: dir,
          nats: { url: nats.url },
          aggregator: { batch_rows: batchRows, flush_ms: 600_000, consumer: name },
        },
        { env: {} },
      ),
      inserts,
      store: { ...sink, insertSamples: (b, t) => (inserts.push(b.length), store.insertSamples(b, t)) },
    };
  };

  it('stores samples, dead-letters a bad message, windows and raises alerts, then resumes where it stopped', async () => {
    const js = jetstream(nc);
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 180_000;
    const fleet = new Fleet({ cluster: 'agg-ai1', racks: 1, seed: 2, startMs, faults: [] });
    const first = await publishFleet(js, fleet, { mode: 'replay', ticks: 60 });
    await js.publish(gpuSubject('agg-ai1', 'r0001', 'r0001-t01'), '{"v":1', { msgID: 'bad-1' });

    const service = await serveEveryPartition(config, { nc, store: sink, log: silentLogger() });
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
    const again = await serveEveryPartition(config, { nc, store: sink, log: silentLogger() });
    await waitUntil('drain', drained, 60_000, 100);
    expect(await count('SELECT count() AS n FROM kiln.gpu_samples')).toBe(first.samples + second.samples);
    expect(await count('SELECT uniqExact(host, gpu, ts) AS n FROM kiln.gpu_samples')).toBe(
      first.samples + second.samples,
    );
    expect(again.stats.duplicateSamples).toBe(0);
    await again.stop();
  });

  it('forgets the GPUs of a host that left the fleet, once the horizon has passed in event time', async () => {
    const js = jetstream(nc);
    const horizonMs = 600_000;
    // A rack whose first tray goes offline after a minute and never comes back, replayed from an hour ago (message ids
    // <host>:<seq>, seq from the time, that the other tests' hosts do not send).
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 60 * 60_000;
    const fleet = new Fleet({
      cluster: 'agg-ai2',
      racks: 1,
      seed: 3,
      startMs,
      faults: parseFaults(['offline:r0001-t01@60s']),
    });
    const { config: forgetting } = await batchesAtEnd('agg-forget', 500);
    const service = await serveEveryPartition(
      { ...forgetting, aggregator: { ...forgetting.aggregator, flush_ms: 50, forget_gpu_after_ms: horizonMs } },
      { nc, store: sink, log: silentLogger() },
    );
    const drainedOf = async (): Promise<boolean> => {
      const info = await (await jetstreamManager(nc)).consumers.info(GPU_STREAM, 'agg-forget');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    };
    // Four minutes after the tray went silent: everything is still tracked.
    await publishFleet(js, fleet, { mode: 'replay', ticks: 5 * 60 });
    await waitUntil('drain', drainedOf, 60_000, 100);
    expect(service.trackedGpus()).toBe(72);
    // Ten more minutes: the silent tray's 4 GPUs are past the horizon and forgotten; the rack's other 68 GPUs stay.
    await publishFleet(js, fleet, { mode: 'replay', ticks: 10 * 60 });
    await waitUntil('the silent GPUs forgotten', () => service.trackedGpus() === 68, 30_000, 100).catch(() => {
      throw new Error(`tracked ${service.trackedGpus()}, expected 68`);
    });
    await service.stop();
  });

  it("grows a batch to its share of batch_rows and stores it there; a paused stream's tail a second later", async () => {
    const js = jetstream(nc);
    // Ten minutes back: message ids (<host>:<seq>, seq from the time) none of the other tests' hosts send.
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    const fleet = new Fleet({ cluster: 'agg-ai4', racks: 4, seed: 5, startMs, faults: [] });
    // Rows beyond the arrays' first size (4,096), and no flush by age during the test.
    const { config: big, inserts, store: sizing } = await batchesAtEnd('agg-big', 6_000);
    const published = await publishFleet(js, fleet, { mode: 'replay', ticks: 40 });
    expect(published.samples).toBe(4 * 72 * 40);
    const service = await serveEveryPartition(big, { nc, store: sizing, log: silentLogger() });
    const ours = "SELECT count() AS n FROM kiln.gpu_samples WHERE cluster = 'agg-ai4'";
    await waitUntil('every sample stored', async () => (await count(ours)) === published.samples, 30_000, 100);
    expect(inserts).toHaveLength(2);
    expect(inserts[0]).toBeGreaterThan(6_000 - MAX_GPUS_PER_MESSAGE);
    expect(inserts[0]).toBeLessThanOrEqual(6_000);
    expect(inserts[0]! + inserts[1]!).toBe(published.samples);
    expect(await count("SELECT uniqExact(host, gpu, ts) AS n FROM kiln.gpu_samples WHERE cluster = 'agg-ai4'")).toBe(
      published.samples,
    );
    await service.stop();
  });

  it('drops the samples a batch holds twice (an agent resending under new message ids), keeping the first', async () => {
    const js = jetstream(nc);
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 240_000;
    const fleet = new Fleet({ cluster: 'agg-ai5', racks: 1, seed: 6, startMs, faults: [] });
    const { config: oneBatch, inserts, store: sizing } = await batchesAtEnd('agg-twice', 100_000);
    // Ten ticks, with ticks 3 to 6 sent a second time right after tick 6, under ids JetStream has not seen.
    const sent: { subject: string; body: string }[] = [];
    for (let t = 0; t < 10; t++) {
      for (const m of fleet.tick()) {
        const subject = gpuSubject(m.cluster, m.rack, m.host);
        const body = encodeMessage(m);
        await js.publish(subject, body, { msgID: `${m.host}:${m.seq}` });
        if (t >= 3 && t <= 6) sent.push({ subject, body });
      }
      if (t === 6) for (const [i, m] of sent.entries()) await js.publish(m.subject, m.body, { msgID: `resent-${i}` });
    }
    const service = await serveEveryPartition(oneBatch, { nc, store: sizing, log: silentLogger() });
    const ours = "SELECT count() AS n FROM kiln.gpu_samples WHERE cluster = 'agg-ai5'";
    await waitUntil('the batch stored', async () => inserts.length > 0, 30_000, 100);
    expect(inserts).toEqual([10 * 72]);
    expect(service.stats.duplicateSamples).toBe(4 * 72);
    expect(await count(ours)).toBe(10 * 72);
    expect(await count("SELECT uniqExact(host, gpu, ts) AS n FROM kiln.gpu_samples WHERE cluster = 'agg-ai5'")).toBe(
      10 * 72,
    );
    await service.stop();
  });

  it('restarts a partition from its checkpoint when its pull is cut off, storing every sample once', async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 150_000;
    // Two racks: the first one's hosts send the message ids (<host>:<seq>) the first test's rack already sent, which
    // JetStream drops as duplicates; the second rack's are new.
    const fleet = new Fleet({ cluster: 'agg-ai3', racks: 2, seed: 4, startMs, faults: [] });
    const restarting = parseConfig(
      {
        data_dir: dir,
        nats: { url: nats.url },
        aggregator: { batch_rows: 500, flush_ms: 50, consumer: 'agg-restart' },
      },
      { env: {} },
    );
    await checkpointAtStreamEnd('agg-restart');
    const service = await serveEveryPartition(restarting, { nc, store: sink, log: silentLogger() });
    await publishFleet(js, fleet, { mode: 'replay', ticks: 40 });
    const ours = "SELECT count() AS n FROM kiln.gpu_samples WHERE cluster = 'agg-ai3' AND rack = 'r0002'";
    await waitUntil('some samples stored', async () => (await count(ours)) > 0, 60_000, 50);
    // The consumer vanishes under the running pull (as when its stream's leader is lost): the run must end and a new
    // one carry on from the checkpoint, not pull on past a gap.
    await jsm.consumers.delete(GPU_STREAM, 'agg-restart');
    await publishFleet(js, fleet, { mode: 'replay', ticks: 40 });
    const total = 80 * 72;
    await waitUntil('every sample stored', async () => (await count(ours)) >= total, 90_000, 100);
    const info = await jsm.consumers.info(GPU_STREAM, 'agg-restart');
    expect(info.num_pending).toBe(0);
    expect(await count(ours)).toBe(total);
    expect(
      await count(
        "SELECT uniqExact(host, gpu, ts) AS n FROM kiln.gpu_samples WHERE cluster = 'agg-ai3' AND rack = 'r0002'",
      ),
    ).toBe(total);
    expect(service.partitions()).toEqual([0]);
    await service.stop();
  }, 150_000);
});
