import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { fingerprint, type AlertEvent } from '@kiln/alerts';
import { ALERT_STREAM, alertSubject, ensureStreams } from '@kiln/nats';
import { startHttpReceiver, startTestNatsServer, tempDir, waitUntil, type HttpReceiver, type TestNatsServer } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertLabels } from './scenario.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'alerter-process.mjs');

let nats: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let dir: { path: string; remove(): Promise<void> };
let pagerduty: HttpReceiver;
let configFile: string;
let child: ChildProcess | undefined;
let output = '';

/** Starts the alerter process and resolves with its API URL once it consumes. */
async function startProcess(): Promise<string> {
  const proc = spawn(process.execPath, [FIXTURE, configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  return new Promise<string>((resolve, reject) => {
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-10_000)));
    proc.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-10_000);
      const m = /ready (\S+)/.exec(d.toString());
      if (m) resolve(m[1] as string);
    });
    proc.once('exit', (code) => reject(new Error(`alerter process exited (${code}) before it was ready:\n${output}`)));
  });
}

async function sigkill(): Promise<void> {
  const proc = child as ChildProcess;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

/** Publishes an event the way the aggregator does, with its de-duplication id. */
async function publish(event: AlertEvent): Promise<void> {
  const id = `${event.labels['alertname']}:${fingerprint(event.labels)}:${event.status}:${event.startsAt}`;
  await js.publish(alertSubject('eus2-ai1', event.labels['rack'] as string), JSON.stringify(event), { msgID: id });
}

const firing = (notation: string, startsAt: number): AlertEvent => ({
  labels: alertLabels(notation),
  annotations: { summary: `${notation} is hot`, description: 'temp_c=92 slowdown_temp_c=87' },
  status: 'firing',
  startsAt,
});
const resolved = (event: AlertEvent): AlertEvent => ({ ...event, status: 'resolved', endsAt: event.startsAt + 30_000 });

beforeAll(async () => {
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  js = jetstream(nc);
  await ensureStreams(await jetstreamManager(nc), { replicas: 1 });
  dir = await tempDir('kiln-restart-');
  pagerduty = await startHttpReceiver((_req, _n, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}'));
  configFile = join(dir.path, 'kiln.json');
  await writeFile(
    configFile,
    JSON.stringify({
      nats: { url: nats.url },
      alerter: { listen: '127.0.0.1:0' },
      notify: [{ type: 'pagerduty', name: 'gpu-oncall', routing_key: 'R0UT1NGKEY', url: pagerduty.url }],
      // A long group_interval: a resolution waits for a tick that a crash would lose if timers lived in memory only.
      route: { receiver: 'gpu-oncall', group_by: ['alertname', 'rack'], group_wait: '300ms', group_interval: '1m' },
    }),
  );
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) await sigkill();
  await nc?.close();
  await nats?.dispose();
  await pagerduty?.close();
  await dir?.remove();
});

describe('alerter state in JetStream KV across SIGKILL', () => {
  it('pages each incident once and still delivers resolutions: one published while it was down, one that was due when it died', async () => {
    let api = await startProcess();
    const t = Date.now();
    const a = firing('GpuHot{r1,0}', t);
    const b = firing('GpuHot{r2,5}', t);
    await publish(a);
    await publish(b);
    const events = () => pagerduty.requests.map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string });
    await waitUntil('both triggers', () => events().length === 2, 10_000, 20);

    // B resolves while the alerter runs; its resolution is stored but waits for the group's next tick, a minute out.
    await publish(resolved(b));
    await waitUntil('the resolution of B to be stored', async () => {
      const firingNow = (await (await fetch(`${api}/api/v2/alerts`)).json()) as unknown[];
      return firingNow.length === 1;
    }, 10_000, 20);
    await sigkill();

    // A resolves while the alerter is dead.
    await publish(resolved(a));
    api = await startProcess();
    await waitUntil('both resolutions', () => events().length === 4, 10_000, 20).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(events())}\n${output}`);
    });
    await new Promise((r) => setTimeout(r, 1_500)); // room for a duplicate, if there were one

    const byKey = new Map<string, string[]>();
    for (const e of events()) byKey.set(e.dedup_key, [...(byKey.get(e.dedup_key) ?? []), e.event_action]);
    expect(Object.fromEntries(byKey)).toEqual({
      [`kiln-${fingerprint(a.labels)}`]: ['trigger', 'resolve'],
      [`kiln-${fingerprint(b.labels)}`]: ['trigger', 'resolve'],
    });
    const info = await (await jetstreamManager(nc)).consumers.info(ALERT_STREAM, 'kiln-alerter');
    expect(info.num_ack_pending).toBe(0);
    expect(await (await fetch(`${api}/api/v2/alerts`)).json()).toEqual([]);
  });
});
