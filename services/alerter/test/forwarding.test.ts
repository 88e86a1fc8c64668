import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  startHttpReceiver,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type TestNatsServer,
  freePort,
} from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertLabels, Scenario } from './scenario.js';

const run = promisify(execFile);

let nats: TestNatsServer;
let nc: NatsConnection;
let dir: { path: string; remove(): Promise<void> };
let collector: HttpReceiver;
let alertmanager: ChildProcess | undefined;
let amUrl: string;
let amOutput = '';

beforeAll(async () => {
  // A real Alertmanager is part of this suite: a missing binary fails it, it never skips.
  await run('prometheus-alertmanager', ['--version']).catch((err: unknown) => {
    throw new Error(`prometheus-alertmanager is required (Debian package prometheus-alertmanager): ${String(err)}`);
  });
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  dir = await tempDir('kiln-am-');
  collector = await startHttpReceiver();
  await writeFile(
    join(dir.path, 'alertmanager.yml'),
    [
      'route: { receiver: collector, group_by: [alertname, rack], group_wait: 100ms, group_interval: 1s, repeat_interval: 1h }',
      `receivers: [{ name: collector, webhook_configs: [{ url: "${collector.url}/am", send_resolved: true }] }]`,
    ].join('\n'),
  );
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  alertmanager = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir.path, 'alertmanager.yml')}`,
      `--storage.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  alertmanager.stderr?.on('data', (d: Buffer) => (amOutput = (amOutput + d.toString()).slice(-5_000)));
  await waitUntil('Alertmanager to be ready', async () => (await fetch(`${amUrl}/-/ready`)).ok, 30_000, 100).catch(
    (err: unknown) => {
      throw new Error(`${String(err)}\n${amOutput}`);
    },
  );
});
afterAll(async () => {
  if (alertmanager && alertmanager.exitCode === null) {
    const exited = new Promise((r) => alertmanager?.once('exit', r));
    alertmanager.kill('SIGTERM');
    await exited;
  }
  await nc?.close();
  await nats?.dispose();
  await collector?.close();
  await dir?.remove();
});

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
  status: { state: string };
}

describe('forwarding to a real Alertmanager', () => {
  it('posts firing alerts to its API v2, keeps them alive, and resolves them; it then notifies by its own configuration', async () => {
    const s = await Scenario.start(nc, 'forwarding', {
      receivers: {},
      extraReceivers: [{ type: 'alertmanager', name: 'central-am', url: amUrl, resend_interval_ms: 1_000 }],
      route: { receiver: 'central-am', group_by: ['alertname', 'rack'], group_wait: '200ms', group_interval: '1s' },
    });
    try {
      await s.play('0 +GpuHot{r1,0}');
      const amAlerts = async () => (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as AmAlert[];
      const first = await waitUntil('the alert in Alertmanager', async () => (await amAlerts())[0], 5_000, 50);
      expect(first).toMatchObject({
        labels: alertLabels('GpuHot{r1,0}'),
        annotations: { summary: 'GpuHot{r1,0} summary' },
        status: { state: 'active' },
      });
      // Valid for four resend intervals, and pushed forward by each re-send.
      expect(Date.parse(first.endsAt) - Date.now()).toBeGreaterThan(2_000);
      await waitUntil(
        'a re-send to extend it',
        async () => Date.parse((await amAlerts())[0]?.endsAt ?? '') > Date.parse(first.endsAt),
        5_000,
        100,
      );

      await s.play('0 -GpuHot{r1,0}');
      const statuses = () =>
        collector.requests.map(
          (r) =>
            JSON.parse(r.body) as { status: string; receiver: string; alerts: { labels: Record<string, string> }[] },
        );
      await waitUntil(
        'Alertmanager to notify the resolution',
        () => statuses().some((p) => p.status === 'resolved'),
        10_000,
        50,
      );
      expect(statuses().map((p) => p.status)).toEqual(['firing', 'resolved']);
      for (const p of statuses())
        expect(p).toMatchObject({ receiver: 'collector', alerts: [{ labels: alertLabels('GpuHot{r1,0}') }] });
      expect(s.alerter.stats.failed).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
