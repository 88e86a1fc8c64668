import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '@kiln/nats';
import {
  startHttpReceiver,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type TestNatsServer,
} from '@kiln/testkit';
import { encodeEvent, eventMessageId, eventSubject } from '@kiln/wire';
import { freePort, spawnKiln, type KilnProcess } from '../support/kiln-process.js';

/** The agent tests' stand-in nvidia-smi: it reports the GPUs of a JSON state file. */
const FAKE_NVIDIA_SMI = join(
  import.meta.dirname,
  '..',
  '..',
  'services',
  'agent',
  'test',
  'fixtures',
  'nvidia-smi.mjs',
);
const CLUSTER = 'xid-ai1';
const RACK = 'r0001';
const HOST = 'r0001-t05';
const uuidOf = (i: number): string => `GPU-5c1d2a3b-7b4d-11ef-9a10-0242ac12000${i}`;
/** A GB300 tray in its compute domain, every NVLink link up but `downLink`'s (GPU, link) when given. */
const gb300Tray = (downLink?: { gpu: number; link: number }) => ({
  limits: 'tlimit',
  gpus: [0, 1, 2, 3].map((i) => ({
    index: i,
    uuid: uuidOf(i),
    busId: `${(8 + i).toString(16).padStart(8, '0')}:01:00.0`,
    values: {
      'temperature.gpu': 60,
      'power.draw': 900,
      'enforced.power.limit': 1400,
      'utilization.gpu': 97,
      'clocks.sm': 1965,
      'temperature.gpu.tlimit': 27,
      'module.power.draw.average': 2410.5,
      'module.enforced.power.limit': 2900,
      'fabric.state': 'Completed',
      'fabric.status': 'Success',
    },
    slowdown: 87,
    maxOp: 85,
    fabric: { state: 'Completed', cliqueId: '32766' },
    links: Array.from({ length: 18 }, (_, l) =>
      downLink?.gpu === i && downLink.link === l ? '<inactive>' : '53.125 GB/s',
    ),
    linkErrors: Array.from({ length: 18 }, () => ({ replay: 0, recovery: 0, crc: 0 })),
  })),
});

/** A /dev/kmsg record logged now (microseconds since boot: the kernel's clock). */
async function kmsg(seq: number, text: string): Promise<string> {
  const bootUs = Math.round(Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]) * 1e6);
  return `3,${seq},${bootUs},-;${text}\n`;
}

/**
 * A GB300 tray end to end: a real `kiln agent` reading a stand-in nvidia-smi (GB300 output) and a kernel-log file, a
 * real nats-server, `kiln up` (store, aggregator, alerter) and a webhook receiver. The Grace-Blackwell fields become
 * columns of kiln.gpu_samples and an NVLink link going down a page; Xid events become rows of kiln.gpu_events, once
 * each, and pages; an agent cut off from NATS replays its events later.
 */
describe('a GB300 tray: nvidia-smi and the kernel log → kiln agent → NATS → aggregator → rows and pages', () => {
  let nats: NatsServerHandle;
  let first: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let webhook: HttpReceiver;
  let ch: ClickHouseClient;
  let kernelLog: string;
  let smiState: string;
  const processes: KilnProcess[] = [];

  const count = async (sql: string): Promise<number> => {
    const rows = await (await ch.query({ query: sql, format: 'JSONEachRow' })).json<{ n: number | string }>();
    return Number(rows[0]?.n ?? 0);
  };
  const events = (where = '1'): Promise<number> =>
    count(`SELECT count() AS n FROM kiln.gpu_events WHERE host = '${HOST}' AND ${where}`);

  beforeAll(async () => {
    first = await startTestNatsServer();
    nats = first;
    dir = await tempDir('kiln-e2e-xid-');
    webhook = await startHttpReceiver();
    const [chPort, alerterPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const upConfig = join(dir.path, 'kiln.yaml');
    await writeFile(
      upConfig,
      JSON.stringify({
        data_dir: join(dir.path, 'state'),
        nats: { url: first.url },
        clickhouse: { listen: `127.0.0.1:${chPort}` },
        alerter: { listen: `127.0.0.1:${alerterPort}` },
        metrics: { listen: `127.0.0.1:${metricsPort}` },
        aggregator: { flush_ms: 100 },
        // NATS is stopped on purpose below: silences are not what this test is about.
        detect: {
          gpu_missing: { enabled: false },
          host_silent: { enabled: false },
          rack_silent: { enabled: false },
          partition_silent: { enabled: false },
        },
        notify: [{ type: 'webhook', url: `${webhook.url}/hook` }],
      }),
    );
    const up = spawnKiln('up', ['up', '--config', upConfig], { KILN_METRICS_LISTEN: `127.0.0.1:${metricsPort}` });
    processes.push(up);
    await waitUntil(
      'kiln up to be ready',
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok,
      90_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${up.tail(60)}`);
    });
    ch = createClient({ url: `http://127.0.0.1:${chPort}` });

    smiState = join(dir.path, 'smi.json');
    await writeFile(smiState, JSON.stringify(gb300Tray()));
    kernelLog = join(dir.path, 'kmsg');
    await writeFile(kernelLog, '');
    const agentConfig = join(dir.path, 'agent.yaml');
    await writeFile(
      agentConfig,
      JSON.stringify({
        data_dir: join(dir.path, 'agent'),
        nats: { url: first.url },
        agent: {
          cluster: CLUSTER,
          rack: RACK,
          host: HOST,
          nvidia_smi: FAKE_NVIDIA_SMI,
          interval_ms: 1000,
          nvlink_refresh_ms: 1000,
          ack_timeout_ms: 1000,
          xid_events: { kmsg: kernelLog, journal_command: [] },
        },
      }),
    );
    processes.push(spawnKiln('agent', ['agent', '--config', agentConfig], { FAKE_NVIDIA_SMI_STATE: smiState }));
    await waitUntil(
      'samples stored',
      async () => (await count(`SELECT count() AS n FROM kiln.gpu_samples WHERE host = '${HOST}'`)) > 0,
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    await ch?.close();
    await webhook?.close();
    await nats?.stop().catch(() => undefined);
    await first?.dispose().catch(() => undefined);
    await dir?.remove();
  });

  it('stores two Xid 79s as two rows, mapped to their GPU by PCI address, and pages the GPU', async () => {
    await appendFile(
      kernelLog,
      await kmsg(1001, 'NVRM: Xid (PCI:0009:01:00): 79, pid=1234, name=python, GPU has fallen off the bus.'),
    );
    await appendFile(
      kernelLog,
      await kmsg(1002, 'NVRM: Xid (PCI:0009:01:00): 79, pid=1234, name=python, GPU has fallen off the bus.'),
    );
    await waitUntil('two events stored', async () => (await events()) >= 2, 30_000);
    const rows = await (
      await ch.query({
        query: `SELECT gpu, uuid, code, message FROM kiln.gpu_events WHERE host = '${HOST}' ORDER BY seq`,
        format: 'JSONEachRow',
      })
    ).json<{ gpu: number; uuid: string; code: number; message: string }>();
    expect(rows).toEqual([
      { gpu: 1, uuid: uuidOf(1), code: 79, message: 'GPU has fallen off the bus.' },
      { gpu: 1, uuid: uuidOf(1), code: 79, message: 'GPU has fallen off the bus.' },
    ]);
    type Hook = { status: string; alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] };
    const hooks = (): Hook[] => webhook.requests.map((r) => JSON.parse(r.body) as Hook);
    await webhook.waitFor(
      () => hooks().some((h) => h.alerts.some((a) => a.labels.alertname === 'GpuXidError')),
      30_000,
    );
    const page = hooks().find((h) => h.alerts.some((a) => a.labels.alertname === 'GpuXidError'))!;
    expect(page.status).toBe('firing');
    expect(page.alerts[0]!.labels).toMatchObject({
      alertname: 'GpuXidError',
      severity: 'critical',
      xid: '79',
      cluster: CLUSTER,
      rack: RACK,
      host: HOST,
      gpu: '1',
      uuid: uuidOf(1),
    });
    expect(page.alerts[0]!.annotations.summary).toMatch(/logged Xid 79: GPU has fallen off the bus/);
  }, 90_000);

  it('stores the Grace-Blackwell fields as read, and pages the GPU whose NVLink link went down', async () => {
    type Row = {
      gpu: number;
      margin: string;
      module: string;
      limit: string;
      inactive: number;
      state: number;
      status: number;
      clique: number;
    };
    const latest = async (): Promise<Row[]> =>
      (
        await ch.query({
          query: `SELECT gpu, toString(argMax(temp_margin_c, ts)) AS margin, toString(argMax(module_power_w, ts)) AS module,
                         toString(argMax(module_power_limit_w, ts)) AS limit, argMax(nvlink_links_inactive, ts) AS inactive,
                         argMax(fabric_state, ts) AS state, argMax(fabric_status, ts) AS status, argMax(fabric_clique, ts) AS clique
                  FROM kiln.gpu_samples WHERE host = '${HOST}' GROUP BY gpu ORDER BY gpu`,
          format: 'JSONEachRow',
        })
      ).json<Row>();
    await waitUntil(
      'the links and the clique read',
      async () => (await latest()).every((r) => r.inactive === 0 && r.clique === 32766),
      30_000,
    );
    expect((await latest())[0]).toEqual({
      gpu: 0,
      margin: '27',
      module: '2410.5',
      limit: '2900',
      inactive: 0,
      state: 3,
      status: 0,
      clique: 32766,
    });

    await writeFile(smiState, JSON.stringify(gb300Tray({ gpu: 2, link: 7 })));
    await waitUntil('the inactive link stored', async () => (await latest())[2]?.inactive === 1, 30_000);
    type Hook = { alerts: { status: string; labels: Record<string, string> }[] };
    const nvlinkPages = (): Hook['alerts'] =>
      webhook.requests
        .flatMap((r) => (JSON.parse(r.body) as Hook).alerts)
        .filter((a) => a.labels.alertname === 'GpuNvlinkDegraded');
    await webhook.waitFor(() => nvlinkPages().length > 0, 90_000);
    expect(nvlinkPages()[0]).toMatchObject({ status: 'firing', labels: { host: HOST, gpu: '2', uuid: uuidOf(2) } });
    expect(nvlinkPages().every((a) => a.labels.gpu === '2')).toBe(true);
  }, 150_000);

  it('replays the events of an agent cut off from NATS, and stores a replayed event once', async () => {
    await first.stop();
    await appendFile(
      kernelLog,
      await kmsg(
        1003,
        "NVRM: Xid (PCI:0008:01:00): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error (DBE) has been detected.",
      ),
    );
    // Longer than the agent's ack timeout: the event goes to its spool.
    await new Promise((r) => setTimeout(r, 5_000));
    nats = await startNatsServer({ dir: first.dir, port: first.port });
    await waitUntil('the spooled event stored', async () => (await events('code = 48')) === 1, 60_000);
    expect(await events('code = 48 AND gpu = 0')).toBe(1);

    // The same event again under another message id (a replay past the stream's duplicate window), then a bad event
    // and a sentinel from another host of the rack: once the sentinel is stored, the partition has judged the others.
    const nc = await connect({ servers: nats.url });
    const js = jetstream(nc);
    const stored = await (
      await ch.query({
        query: `SELECT seq, toUnixTimestamp64Milli(ts) AS ts FROM kiln.gpu_events WHERE host = '${HOST}' AND code = 79 ORDER BY seq LIMIT 1`,
        format: 'JSONEachRow',
      })
    ).json<{ seq: number | string; ts: number | string }>();
    const replayed = {
      v: 1,
      cluster: CLUSTER,
      rack: RACK,
      host: HOST,
      seq: Number(stored[0]!.seq),
      ts: Number(stored[0]!.ts),
      kind: 'xid',
      gpu: 1,
      uuid: uuidOf(1),
      code: 79,
      message: 'GPU has fallen off the bus.',
    } as const;
    await js.publish(eventSubject(CLUSTER, RACK, HOST), encodeEvent(replayed), { msgID: 'replayed-past-the-window' });
    await js.publish(eventSubject(CLUSTER, RACK, HOST), '{"v":1,"kind":"xid"}', { msgID: 'bad-event' });
    const sentinel = { ...replayed, host: 'r0001-t99', seq: 1, ts: Date.now(), gpu: undefined, uuid: undefined };
    await js.publish(eventSubject(CLUSTER, RACK, 'r0001-t99'), encodeEvent(sentinel), {
      msgID: eventMessageId('r0001-t99', 1),
    });
    await nc.close();
    await waitUntil(
      'the sentinel stored',
      async () => (await count("SELECT count() AS n FROM kiln.gpu_events WHERE host = 'r0001-t99'")) === 1,
      30_000,
    );
    expect(await events('code = 79')).toBe(2);
    await waitUntil(
      'the bad event dead-lettered',
      async () =>
        (await count(
          `SELECT count() AS n FROM kiln.dead_letters WHERE subject = '${eventSubject(CLUSTER, RACK, HOST)}' AND reason = 'missing_field'`,
        )) === 1,
      30_000,
    );
  }, 120_000);

  it('keeps every process alive', () => {
    for (const p of processes) expect(p.alive(), `${p.name} died:\n${p.output()}`).toBe(true);
  });
});
