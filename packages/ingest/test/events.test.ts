import { afterAll, beforeAll, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { parseConfig } from '@kiln/config';
import { silentLogger } from '@kiln/log';
import { waitUntil } from '@kiln/testkit';
import { encodeEvent, eventMessageId, eventSubject, partitionOf, type XidEvent } from '@kiln/wire';
import { serveEveryPartition, startIngestRig, type IngestRig } from './rig.js';

let rig: IngestRig;
beforeAll(async () => {
  rig = await startIngestRig('kiln-agg-events-');
});
afterAll(async () => {
  await rig?.close();
});

it('stores each event once, by the partition of its rack, and a replay under another message id not again', async () => {
  const { nats, dir, nc, sink, store } = rig;
  const config = parseConfig(
    { data_dir: dir, nats: { url: nats.url, partitions: 2 }, aggregator: { flush_ms: 50, consumer: 'agg-events' } },
    { env: {} },
  );
  const racks = ['r0001', 'r0002', 'r0003', 'r0004', 'r0005', 'r0006'];
  expect(new Set(racks.map((r) => partitionOf(r, 2))).size).toBe(2);
  const js = jetstream(nc);
  const events: XidEvent[] = racks.map((rack) => ({
    v: 1,
    cluster: 'ev-ai1',
    rack,
    host: `${rack}-t01`,
    seq: 1,
    ts: Date.now() - 60_000,
    kind: 'xid',
    gpu: 0,
    uuid: `GPU-00000000-0000-0000-0000-00000000${rack.slice(1)}`,
    code: 79,
    message: 'GPU has fallen off the bus.',
  }));
  for (const e of events)
    await js.publish(eventSubject(e.cluster, e.rack, e.host), encodeEvent(e), { msgID: eventMessageId(e.host, e.seq) });
  // An agent's replay past the stream's duplicate window: the same event under a new message id.
  await js.publish(eventSubject('ev-ai1', 'r0001', 'r0001-t01'), encodeEvent(events[0]!), { msgID: 'replayed' });

  const service = await serveEveryPartition(config, { nc, store: sink, log: silentLogger() });
  try {
    await waitUntil('both partitions served', () => service.partitions().length === 2, 30_000, 50);
    await waitUntil(
      'every event judged',
      () => service.stats.eventsStored + service.stats.duplicateEvents >= 7,
      30_000,
      50,
    );
    const rows = await store.query<{ host: string; n: number | string }>(
      "SELECT host, count() AS n FROM kiln.gpu_events WHERE cluster = 'ev-ai1' GROUP BY host ORDER BY host",
    );
    expect(rows.map((r) => [r.host, Number(r.n)])).toEqual(racks.map((r) => [`${r}-t01`, 1]));
    // Each event was handled by one partition: stored once, and the replay found stored.
    expect(service.stats.eventsStored).toBe(6);
    expect(service.stats.duplicateEvents).toBe(1);
  } finally {
    await service.stop();
  }
});
