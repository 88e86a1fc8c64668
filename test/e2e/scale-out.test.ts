import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { GPU_STREAM, ensureStreams, partitionMapping, readLeaseOwners } from '@kiln/nats';
import { Fleet, parseFaults, publishFleet, rackName } from '@kiln/simulator';
import {
  startHttpReceiver,
  startTestNatsCluster,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type TestNatsCluster,
} from '@kiln/testkit';
import { partitionOf } from '@kiln/wire';
import { freePort, spawnKiln, spawnKilnStore, type KilnProcess } from '../support/kiln-process.js';

/**
 * Scale-out on one machine: a 3-node JetStream cluster (R3 streams, subjects mapped to 8 partitions by rack),
 * `kiln store`, two `kiln aggregator` processes sharing the partitions and a `kiln alerter`. Mid-stream the
 * aggregator serving the overheating GPU's rack and one NATS node are SIGKILLed; the survivor takes the dead one's
 * partitions over from their checkpoints.
 */
describe('scale-out: two aggregators on a 3-node NATS cluster, one of each killed', () => {
  const CLUSTER = 'scale-ai1';
  const RACKS = 4;
  const PARTITIONS = 8;
  const TICKS = 300;
  const HALF = 150;
  const HOT = { host: 'r0002-t05', gpu: '1' };
  const HOT_RACK = 'r0002';
  let nats: TestNatsCluster;
  let dir: { path: string; remove(): Promise<void> };
  let webhook: HttpReceiver;
  const processes: KilnProcess[] = [];
  const aggregators = new Map<string, KilnProcess>();
  let nc: NatsConnection;
  let js: JetStreamClient;
  let ch: ClickHouseClient;
  let published = 0;
  let victim = '';
  let configFile = '';

  const diagnostics = (): string => processes.map((p) => p.tail(30)).join('\n');
  const leaseOwners = () => readLeaseOwners(nc, 'kiln-aggregator', PARTITIONS);
  const stored = async (): Promise<{ n: number; distinct: number }> => {
    const [row] = await (
      await ch.query({
        query: 'SELECT count() AS n, uniqExact(cluster, rack, host, gpu, ts) AS d FROM kiln.gpu_samples',
        format: 'JSONEachRow',
      })
    ).json<{ n: string; d: string }>();
    return { n: Number(row!.n), distinct: Number(row!.d) };
  };

  beforeAll(async () => {
    nats = await startTestNatsCluster(3, partitionMapping(PARTITIONS));
    dir = await tempDir('kiln-scale-');
    webhook = await startHttpReceiver();
    const chPort = await freePort();
    configFile = join(dir.path, 'kiln.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        data_dir: join(dir.path, 'state'),
        nats: { url: nats.urls, replicas: 3, partitions: PARTITIONS },
        clickhouse: { listen: `127.0.0.1:${chPort}`, user: 'writer', password: 'writer-secret' },
        alerter: { listen: `127.0.0.1:${await freePort()}`, retry_for_ms: 60_000 },
        aggregator: { flush_ms: 100 },
        // The replay ends and every host falls silent; those pages are the availability rules' own tests' business.
        detect: {
          host_silent: { enabled: false },
          partition_silent: { enabled: false },
          rack_silent: { enabled: false },
          gpu_missing: { enabled: false },
        },
        notify: [{ type: 'webhook', url: `${webhook.url}/hook` }],
      }),
    );
    const { process: store, url: chUrl } = await spawnKilnStore(configFile, chPort);
    processes.push(store);
    const viaStore = { KILN_CLICKHOUSE_URL: chUrl };
    for (const name of ['agg-a', 'agg-b']) {
      const p = spawnKiln(name, ['aggregator', '--config', configFile], {
        ...viaStore,
        KILN_AGGREGATOR_INSTANCE: name,
      });
      processes.push(p);
      aggregators.set(name, p);
    }
    processes.push(spawnKiln('alerter', ['alerter', '--config', configFile], viaStore));
    ch = createClient({ url: chUrl });
    nc = await connect({ servers: nats.urls });
    js = jetstream(nc);
    await ensureStreams(await jetstreamManager(nc), { replicas: 3 });
    await waitUntil(
      'both aggregators to serve half of the partitions',
      async () => {
        const owners = [...(await leaseOwners()).values()];
        return owners.length === PARTITIONS && owners.filter((o) => o === 'agg-a').length === PARTITIONS / 2;
      },
      60_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${diagnostics()}`);
    });
  }, 180_000);

  afterAll(async () => {
    for (const p of processes) await p.stop();
    await nc?.close();
    await ch?.close();
    await webhook?.close();
    await nats?.dispose();
    await dir?.remove();
  });

  it('stores every sample exactly once and pages the overheating GPU after the kills', async () => {
    const startMs = Math.floor((Date.now() - (TICKS + 60) * 1000) / 1000) * 1000;
    // The GPU overheats only after the kills, in a rack served by the aggregator that is killed.
    const fleet = new Fleet({
      cluster: CLUSTER,
      racks: RACKS,
      seed: 11,
      startMs,
      faults: parseFaults([`overheat:${HOT.host}/${HOT.gpu}@180s+90s`]),
    });
    expect(rackName(1)).toBe(HOT_RACK);
    const options = { mode: 'replay' as const, ackTimeoutMs: 5_000, attempts: 10 };
    published += (await publishFleet(js, fleet, { ...options, ticks: HALF })).samples;

    // Mid-stream, while the second half is being published and stored: kill the owner of the hot rack's partition
    // and a NATS node.
    const rest = publishFleet(js, fleet, { ...options, ticks: TICKS - HALF });
    await waitUntil(
      'the aggregators to store part of the second half',
      async () => (await stored()).n > published + 2_000,
      60_000,
      50,
    );
    victim = (await leaseOwners()).get(partitionOf(HOT_RACK, PARTITIONS))!;
    const survivor = victim === 'agg-a' ? 'agg-b' : 'agg-a';
    await aggregators.get(victim)!.kill();
    await nats.nodes[2]!.kill();
    const killedAt = Date.now();
    await waitUntil(
      'the survivor to hold every partition',
      async () => {
        const owners = [...(await leaseOwners()).values()];
        return owners.length === PARTITIONS && owners.every((o) => o === survivor);
      },
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${aggregators.get(survivor)!.tail(40)}`);
    });
    console.log(
      `scale-out: the survivor held every partition ${Date.now() - killedAt} ms after the kills (lease 10 s)`,
    );
    published += (await rest).samples;
    expect(published).toBe(TICKS * RACKS * 72);

    const jsm = await jetstreamManager(nc);
    await waitUntil(
      'every partition drained',
      async () => {
        for (let k = 0; k < PARTITIONS; k++) {
          const info = await jsm.consumers.info(GPU_STREAM, `kiln-aggregator-p${k}`).catch(() => undefined);
          if (!info || info.num_pending > 0 || info.num_ack_pending > 0) return false;
        }
        return (await stored()).n >= published;
      },
      150_000,
      500,
    ).catch(async (err: unknown) => {
      const lag = await Promise.all(
        Array.from({ length: PARTITIONS }, (_, k) =>
          jsm.consumers.info(GPU_STREAM, `kiln-aggregator-p${k}`).then(
            (i) => `p${k}: ${i.num_pending} pending, ${i.num_ack_pending} unacked`,
            (e: unknown) => `p${k}: ${String(e)}`,
          ),
        ),
      );
      throw new Error(
        `${String(err)}\n${lag.join('\n')}\nstored ${JSON.stringify(await stored())} of ${published}\n${diagnostics()}`,
      );
    });
    expect(await stored()).toEqual({ n: published, distinct: published });
    // The survivor serves every partition now.
    // It still does, once everything is stored.
    expect([...(await leaseOwners()).values()]).toEqual(Array.from({ length: PARTITIONS }, () => survivor));

    // What an operator sees: every partition served by the survivor, nothing pending. A consumer's figures read `-`
    // while its run starts again (a JetStream API request can also time out while the cluster settles after the
    // kill): the operator looks again, as this does, a few seconds later.
    const settled = new RegExp(`^\\s*\\d+\\s+${survivor}\\s+kiln-aggregator-p\\d+\\s+0\\s+0$`);
    let table: string[] = [];
    let output = '';
    for (let look = 0; look < 3; look++) {
      if (look > 0) await new Promise((r) => setTimeout(r, 5_000));
      const shown = spawnKiln('partitions', ['partitions', '--config', configFile]);
      await waitUntil('kiln partitions to finish', async () => !shown.alive(), 30_000);
      table = shown.lines().filter((l) => /^\s*\d+\s/.test(l));
      output = shown.output();
      if (table.length === PARTITIONS && table.every((line) => settled.test(line))) break;
    }
    expect(table, `${output}\n${diagnostics()}`).toHaveLength(PARTITIONS);
    for (const line of table) expect(line, diagnostics()).toMatch(settled);

    type Hook = { status: string; alerts: { labels: Record<string, string>; status: string }[] };
    const pages = (): Hook[] => webhook.requests.map((r) => JSON.parse(r.body) as Hook);
    await webhook
      .waitFor(
        () =>
          pages().some(
            (h) => h.status === 'firing' && h.alerts.some((a) => a.labels.alertname === 'GpuTemperatureNearSlowdown'),
          ),
        60_000,
      )
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n${diagnostics()}`);
      });
    for (const h of pages())
      for (const a of h.alerts) expect(a.labels).toMatchObject({ rack: HOT_RACK, host: HOT.host, gpu: HOT.gpu });
  });

  it('keeps every process but the killed aggregator alive', () => {
    for (const p of processes) if (p.name !== victim) expect(p.alive(), `${p.name} died:\n${p.output()}`).toBe(true);
  });
});
