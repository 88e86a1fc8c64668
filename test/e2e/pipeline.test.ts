import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DLQ_STREAM, GPU_STREAM, ensureStreams } from '@kiln/nats';
import { Fleet, parseFaults, publishFleet } from '@kiln/simulator';
import {
  startHttpReceiver,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type TestNatsServer,
} from '@kiln/testkit';
import { freePort, spawnKiln, spawnKilnStore, type KilnProcess } from '../support/kiln-process.js';
import { malformedMessages } from '../support/malformed.js';

/**
 * The foundation's end-to-end promise: real nats-server, `kiln store` (embedded ClickHouse served over HTTP),
 * `kiln aggregator` and `kiln alerter` as separate processes; ten minutes of one simulated GB300 rack replayed in
 * event time with every kind of malformed message mixed in.
 */
describe('pipeline: ten minutes of one rack, replayed', () => {
  const CLUSTER = 'e2e-ai1';
  const RACK = 'r0001';
  const HOT = { host: 'r0001-t07', gpu: '2' };
  const MINUTES = 10;
  let nats: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let webhook: HttpReceiver;
  let pagerduty: HttpReceiver;
  let processes: KilnProcess[] = [];
  let nc: NatsConnection;
  let js: JetStreamClient;
  let ch: ClickHouseClient;
  let expectedRows = 0;
  const expectedRejects = new Map<string, number>();

  beforeAll(async () => {
    nats = await startTestNatsServer();
    dir = await tempDir('kiln-e2e-');
    webhook = await startHttpReceiver();
    pagerduty = await startHttpReceiver((_req, _n, res) =>
      res
        .writeHead(202, { 'content-type': 'application/json' })
        .end('{"status":"success","message":"Event processed"}'),
    );
    const chPort = await freePort();
    const configFile = join(dir.path, 'kiln.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        data_dir: join(dir.path, 'state'),
        nats: { url: nats.url },
        clickhouse: { listen: `127.0.0.1:${chPort}`, user: 'writer', password: 'writer-secret' },
        alerter: { listen: `127.0.0.1:${await freePort()}`, retry_for_ms: 60_000 },
        aggregator: { flush_ms: 100 },
        // The malformed-message host sends one valid sample, and the replay ends: both are silences the availability
        // detectors rightly page for (their own tests cover them); here they would only add pages to the count.
        detect: { host_silent: { enabled: false }, partition_silent: { enabled: false } },
        notify: [
          { type: 'webhook', url: `${webhook.url}/hook` },
          { type: 'pagerduty', routing_key: 'e2e-routing-key-0000000000000000', url: `${pagerduty.url}/v2/enqueue` },
        ],
      }),
    );
    const { process: store, url: chUrl } = await spawnKilnStore(configFile, chPort);
    processes.push(store);
    const viaStore = { KILN_CLICKHOUSE_URL: chUrl };
    processes.push(spawnKiln('aggregator', ['aggregator', '--config', configFile], viaStore));
    processes.push(spawnKiln('alerter', ['alerter', '--config', configFile], viaStore));
    ch = createClient({ url: chUrl }); // anonymous: read-only

    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    await ensureStreams(await jetstreamManager(nc), { replicas: 1 });

    // Ten minutes that ended a minute ago, so every sample is inside the accepted ts window.
    const startMs = Math.floor((Date.now() - (MINUTES + 1) * 60_000) / 1000) * 1000;
    const fleet = new Fleet({
      cluster: CLUSTER,
      racks: 1,
      seed: 7,
      startMs,
      faults: parseFaults([`overheat:${HOT.host}/${HOT.gpu}@60s+240s`]),
    });
    const bad = malformedMessages(CLUSTER, RACK, Date.now());
    const half = (MINUTES * 60) / 2;
    const first = await publishFleet(js, fleet, { mode: 'replay', ticks: half });
    for (const m of bad) {
      await js.publish(m.subject, m.body, { msgID: m.msgID });
      if (m.expect) expectedRejects.set(m.expect, (expectedRejects.get(m.expect) ?? 0) + 1);
      else expectedRows += 1;
    }
    const second = await publishFleet(js, fleet, { mode: 'replay', ticks: MINUTES * 60 - half });
    expectedRows += first.samples + second.samples;
    expect(first.samples + second.samples).toBe(MINUTES * 60 * 72);
  }, 180_000);

  afterAll(async () => {
    for (const p of processes) await p.stop();
    await nc?.close();
    await ch?.close();
    await webhook?.close();
    await pagerduty?.close();
    await nats?.dispose();
    await dir?.remove();
  });

  it('stores every valid sample exactly once', async () => {
    const jsm = await jetstreamManager(nc);
    await waitUntil(
      'the aggregator to drain the stream',
      async () => {
        const info = await jsm.consumers.info(GPU_STREAM, 'kiln-aggregator');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      120_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${processes.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`);
    });
    const rows = await (
      await ch.query({
        query: 'SELECT count() AS n, uniqExact(cluster, rack, host, gpu, ts) AS distinct_ids FROM kiln.gpu_samples',
        format: 'JSONEachRow',
      })
    ).json<{ n: string; distinct_ids: string }>();
    expect(Number(rows[0]!.n)).toBe(expectedRows);
    expect(Number(rows[0]!.distinct_ids)).toBe(expectedRows);
  });

  it('rolls the same samples up into mergeable 10 s windows', async () => {
    const [raw] = await (
      await ch.query({
        query:
          "SELECT count() AS n, sum(temp_c) AS s FROM kiln.gpu_samples WHERE rack = 'r0001' AND host != 'r0001-bad'",
        format: 'JSONEachRow',
      })
    ).json<{ n: string; s: number }>();
    const [rollup] = await (
      await ch.query({
        query:
          "SELECT sum(temp_c_count) AS n, sum(temp_c_sum) AS s FROM kiln.gpu_rollup_10s WHERE rack = 'r0001' AND host != 'r0001-bad'",
        format: 'JSONEachRow',
      })
    ).json<{ n: string; s: number }>();
    expect(Number(rollup!.n)).toBe(Number(raw!.n));
    expect(rollup!.s).toBeCloseTo(raw!.s, 0);
  });

  it('dead-letters every malformed message with its reason, and keeps the rest of a partly bad sample', async () => {
    const jsm = await jetstreamManager(nc);
    const total = [...expectedRejects.values()].reduce((a, b) => a + b, 0);
    await waitUntil('dead letters', async () => (await jsm.streams.info(DLQ_STREAM)).state.messages >= total, 30_000);
    const oc = await js.consumers.get(DLQ_STREAM, { deliver_policy: DeliverPolicy.All });
    const reasons = new Map<string, number>();
    const iter = await oc.fetch({ max_messages: total, expires: 5_000 });
    for await (const m of iter) {
      const reason = m.headers?.get('Kiln-Reason') ?? '';
      expect(m.subject).toBe(`kiln.v1.dlq.${reason}`);
      expect(m.headers?.get('Kiln-Original-Subject')).toMatch(/^kiln\.v1\.gpu\./);
      expect(m.headers?.get('Kiln-Detail')).toBeTruthy();
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    expect(Object.fromEntries(reasons)).toEqual(Object.fromEntries(expectedRejects));

    const [row] = await (
      await ch.query({
        query: "SELECT temp_c, mem_temp_c, power_w, util_pct FROM kiln.gpu_samples WHERE host = 'r0001-bad'",
        format: 'JSONEachRow',
      })
    ).json<{ temp_c: number; mem_temp_c: number; power_w: number | null | string; util_pct: number | null | string }>();
    expect(row!.temp_c).toBe(60);
    expect(row!.mem_temp_c).toBe(66);
    for (const absent of [row!.power_w, row!.util_pct])
      expect(absent === null || absent === 'nan' || Number.isNaN(Number(absent))).toBe(true);
  });

  it('pages the overheating GPU and then resolves it, on the webhook and PagerDuty, and nobody else', async () => {
    type Hook = { version: string; status: string; alerts: { labels: Record<string, string>; status: string }[] };
    const hooks = (): Hook[] => webhook.requests.map((r) => JSON.parse(r.body) as Hook);
    const nearSlowdown = (h: Hook): boolean =>
      h.alerts.some((a) => a.labels.alertname === 'GpuTemperatureNearSlowdown');
    await webhook.waitFor(() => hooks().some((h) => nearSlowdown(h) && h.status === 'resolved'), 60_000);
    await pagerduty.waitFor((r) => r.some((x) => JSON.parse(x.body).event_action === 'resolve'), 60_000);
    // Every page is about the overheating GPU (the thermal detectors may each page it: near-slowdown, throttling, …).
    for (const h of hooks()) {
      expect(h.version).toBe('4');
      for (const a of h.alerts) {
        expect(a.labels, JSON.stringify(h)).toMatchObject({
          category: 'thermal',
          cluster: CLUSTER,
          rack: RACK,
          host: HOT.host,
          gpu: HOT.gpu,
        });
        expect(a.labels.uuid).toMatch(/^GPU-/);
      }
    }
    const near = hooks().filter(nearSlowdown);
    expect(near.map((h) => h.status)).toEqual(['firing', 'resolved']);
    expect(near[0]!.alerts[0]!.labels).toMatchObject({ alertname: 'GpuTemperatureNearSlowdown', severity: 'critical' });

    type PdEvent = {
      event_action: string;
      dedup_key: string;
      payload?: { summary: string; severity: string; class: string };
    };
    const pd = pagerduty.requests.map((r) => JSON.parse(r.body) as PdEvent);
    const trigger = pd.find((e) => e.event_action === 'trigger' && e.payload?.summary.includes('slowdown threshold'));
    expect(trigger, JSON.stringify(pd, null, 1)).toBeDefined();
    expect(trigger!.payload!.severity).toBe('critical');
    expect(trigger!.payload!.summary).toMatch(new RegExp(`GPU ${HOT.gpu} on ${HOT.host}`));
    expect(pd.filter((e) => e.dedup_key === trigger!.dedup_key).map((e) => e.event_action)).toEqual([
      'trigger',
      'resolve',
    ]);
    for (const e of pd.filter((x) => x.event_action === 'trigger'))
      expect(e.payload!.summary).toMatch(new RegExp(`${HOT.host}`));
  });

  it('keeps every process alive', () => {
    for (const p of processes) expect(p.alive(), `${p.name} died:\n${p.output()}`).toBe(true);
  });
});
