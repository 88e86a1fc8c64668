import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient } from '@nats-io/jetstream';
import { parseConfig } from '@kiln/config';
import { silentLogger } from '@kiln/log';
import { Fleet } from '@kiln/simulator';
import { waitUntil } from '@kiln/testkit';
import { encodeMessage, gpuSubject } from '@kiln/wire';
import type { Ingest } from '../src/index.js';
import { serveEveryPartition, startIngestRig, type IngestRig } from './rig.js';

/**
 * Event time against the wall clock, with the aggregator in process, a real nats-server and the embedded engine: a
 * pause of the stream, and one host whose clock runs ahead. Samples that arrive at the wall clock are never late, and
 * windows keep closing. A short allowed lateness (1 s) keeps the pauses short.
 */
describe('event time', () => {
  let rig: IngestRig;
  let js: JetStreamClient;

  beforeAll(async () => {
    rig = await startIngestRig('kiln-event-time-');
    js = rig.js;
  });

  afterAll(async () => {
    await rig?.close();
  });

  /** An aggregator whose consumer starts at the stream's end: it reads only what its test publishes. */
  const start = async (consumer: string): Promise<Ingest> => {
    await rig.checkpointAtStreamEnd(consumer);
    return serveEveryPartition(
      parseConfig(
        {
          data_dir: rig.dir,
          nats: { url: rig.nats.url },
          aggregator: {
            consumer,
            batch_rows: 2_000,
            flush_ms: 200,
            allowed_lateness_ms: 1_000,
            windows_ms: [1_000, 10_000],
          },
        },
        { env: {} },
      ),
      { nc: rig.nc, store: rig.sink, log: silentLogger() },
    );
  };

  /** Publishes one tick of the fleet stamped `wallMs`, the hosts in `skewMs` shifted by their skew. */
  const publishTick = async (fleet: Fleet, wallMs: number, skewMs: Record<string, number> = {}): Promise<void> => {
    await Promise.all(
      fleet.tick(wallMs).map((m) => {
        const ts = m.ts + (skewMs[m.host] ?? 0);
        return js.publish(gpuSubject(m.cluster, m.rack, m.host), encodeMessage({ ...m, ts }), {
          msgID: `${m.host}:${m.seq}`,
        });
      }),
    );
  };

  /** Ticks of the fleet at the wall clock, `everyMs` apart, for `forMs`. */
  const live = async (fleet: Fleet, forMs: number, everyMs: number, skewMs?: Record<string, number>): Promise<void> => {
    for (const end = Date.now() + forMs; Date.now() < end; await sleep(everyMs))
      await publishTick(fleet, Date.now(), skewMs);
  };

  it('counts nothing late after a pause: a quiet partition follows the wall clock no faster than it runs', async () => {
    const fleet = new Fleet({
      cluster: 'pause-ai1',
      racks: 1,
      seed: 11,
      startMs: Date.now(),
      intervalMs: 250,
      faults: [],
    });
    const service = await start('et-pause');
    await live(fleet, 3_000, 250);
    // Quiet for four times the allowed lateness, then live again at the wall clock.
    await sleep(4_000);
    const closedBefore = service.windows.windowsClosed;
    await live(fleet, 4_000, 250);
    await waitUntil(
      'the live windows to close',
      () => service.windows.windowsClosed >= closedBefore + 72 * 3,
      10_000,
      100,
    ).catch(() => {
      throw new Error(
        `windows closed ${service.windows.windowsClosed - closedBefore} after the pause, late ${service.windows.late}`,
      );
    });
    expect(service.windows.late).toBe(0);
    // The watermark never got ahead of the wall clock.
    expect(service.windows.watermark).toBeLessThanOrEqual(Date.now());
    await service.stop();
  });

  it('counts nothing late when one host runs four minutes ahead, and windows that host with its rack', async () => {
    const fleet = new Fleet({
      cluster: 'skew-ai1',
      racks: 1,
      seed: 12,
      startMs: Date.now(),
      intervalMs: 250,
      faults: [],
    });
    const service = await start('et-skew');
    await live(fleet, 5_000, 250, { 'r0001-t05': 240_000 });
    await waitUntil('windows to close', () => service.windows.windowsClosed >= 72 * 3, 10_000, 100).catch(() => {
      throw new Error(`windows closed ${service.windows.windowsClosed}, late ${service.windows.late}`);
    });
    expect(service.windows.late).toBe(0);
    expect(service.windows.watermark).toBeLessThanOrEqual(Date.now());
    // Every sample is stored with the time its agent gave it.
    const ahead = await rig.store.query<{ n: string }>(
      "SELECT count() AS n FROM kiln.gpu_samples WHERE cluster = 'skew-ai1' AND host = 'r0001-t05' AND ts > now64(3) + INTERVAL 200 SECOND",
    );
    expect(Number(ahead[0]!.n)).toBeGreaterThan(0);
    await service.stop();
  });

  it('counts nothing late in a catch-up when one host runs four minutes ahead of the rest of the backlog', async () => {
    // Twenty minutes ago, one tick a second (message ids <host>:<seq>, seq from the time, that no other test sends).
    const fleet = new Fleet({
      cluster: 'backlog-ai1',
      racks: 1,
      seed: 13,
      startMs: Math.floor(Date.now() / 1000) * 1000 - 20 * 60_000,
      faults: [],
    });
    const service = await start('et-backlog');
    for (let t = 0; t < 120; t++) await publishTick(fleet, fleet.nextTs, { 'r0001-t05': 240_000 });
    const samples = 120 * 72;
    await waitUntil('the backlog stored', () => service.stats.samplesStored >= samples, 30_000, 100);
    expect(service.windows.late).toBe(0);
    // The host ahead is windowed no more than the ring of open windows holds; the other 68 GPUs close their windows.
    expect(service.windows.early).toBeGreaterThan(0);
    expect(service.windows.windowsClosed).toBeGreaterThanOrEqual(68 * 100);
    await service.stop();
  });
});
