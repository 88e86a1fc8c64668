import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  freePort,
  startProcess,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type RunningProcess,
  type TestNatsServer,
} from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '@kiln/http';
import { Scenario } from './scenario.js';

const run = promisify(execFile);
const AUTH = { user: 'prom', password: 'rule-sender' };
const basic = { authorization: basicAuthorization(AUTH) };

let nats: TestNatsServer;
let nc: NatsConnection;
let dir: { path: string; remove(): Promise<void> };
let s: Scenario;
let prometheus: RunningProcess | undefined;

interface Posted {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}
interface WebhookPayload {
  status: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}
interface PagerDutyEvent {
  event_action: string;
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string };
}

beforeAll(async () => {
  // A real Prometheus is part of this suite: a missing binary fails it, it never skips.
  await run('prometheus', ['--version']).catch((err: unknown) => {
    throw new Error(`prometheus is required (Debian package prometheus): ${String(err)}`);
  });
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  dir = await tempDir('kiln-prometheus-');
}, 30_000);
afterAll(async () => {
  await prometheus?.stop(5_000);
  await s?.stop();
  await nc?.close();
  await nats?.dispose();
  await dir?.remove();
});

describe('a real Prometheus sending its rules’ alerts to the alerter', () => {
  it('routes, groups, silences, inhibits and resolves alerts that carry none of Kiln’s labels', async () => {
    s = await Scenario.start(nc, 'prometheus', {
      receivers: { ops: { type: 'webhook' }, storage: { type: 'pagerduty' } },
      route: {
        receiver: 'ops',
        group_by: ['alertname', 'instance'],
        group_wait: '300ms',
        group_interval: '1s',
        routes: [{ matchers: ['team="storage"', 'severity="page"'], receiver: 'storage' }],
      },
      inhibit_rules: [
        { source_matchers: ['alertname="DiskFull"'], target_matchers: ['alertname="DiskSlow"'], equal: ['instance'] },
      ],
      alerter: { basic_auth: AUTH },
    });
    const api = s.alerter.api.url;
    // Silenced before Prometheus starts, so that QueueStuck is never paged.
    const silence = await fetch(`${api}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic },
      body: JSON.stringify({
        matchers: [{ name: 'alertname', value: 'QueueStuck', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'test',
        comment: 'known: queue drained by hand',
      }),
    });
    expect(silence.status).toBe(200);
    const { silenceID } = (await silence.json()) as { silenceID: string };

    // DiskFull fires from the first evaluation until `until` (Unix seconds), then resolves; DiskSlow on the same
    // instance fires throughout and is inhibited while DiskFull fires; QueueStuck fires throughout, silenced.
    const until = Math.floor(Date.now() / 1000) + 12;
    await writeFile(
      join(dir.path, 'rules.yml'),
      [
        'groups:',
        '  - name: storage',
        '    interval: 1s',
        '    rules:',
        `      - alert: DiskFull`,
        `        expr: label_replace(vector(time()) < ${until}, "instance", "db-1:9100", "", "")`,
        '        labels: { severity: page, team: storage }',
        '        annotations: { summary: "Disk full on {{ $labels.instance }}" }',
        '      - alert: DiskSlow',
        '        expr: label_replace(vector(1), "instance", "db-1:9100", "", "")',
        '        labels: { severity: warning, team: storage }',
        '        annotations: { summary: "Disk slow on {{ $labels.instance }}" }',
        '      - alert: QueueStuck',
        '        expr: vector(1)',
        '        labels: { severity: warning, instance: "mq-1:9100" }',
      ].join('\n'),
    );
    const { port: alerterPort } = new URL(api);
    await writeFile(
      join(dir.path, 'prometheus.yml'),
      [
        'global: { evaluation_interval: 1s }',
        'rule_files: [rules.yml]',
        'alerting:',
        '  alertmanagers:',
        '    - api_version: v2',
        `      basic_auth: { username: ${AUTH.user}, password: ${AUTH.password} }`,
        `      static_configs: [{ targets: ["127.0.0.1:${alerterPort}"] }]`,
      ].join('\n'),
    );
    const promPort = await freePort();
    prometheus = startProcess('prometheus', 'prometheus', [
      `--config.file=${join(dir.path, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--rules.alert.resend-delay=1s',
    ]);
    const failure = (what: string) => `${what}\n${prometheus?.tail(30) ?? ''}`;

    const alerts = async () => (await (await fetch(`${api}/api/v2/alerts`)).json()) as Posted[];
    const byName = async (name: string) => (await alerts()).find((a) => a.labels['alertname'] === name);
    const [diskFull, diskSlow, queue] = await waitUntil(
      failure('Prometheus to post its three alerts'),
      async () => {
        // Listed as soon as it is stored; its source's inhibition applies once that one is placed too.
        const found = await Promise.all(['DiskFull', 'DiskSlow', 'QueueStuck'].map(byName));
        const settled = found.every((a) => a !== undefined) && (found[1]?.status.inhibitedBy.length ?? 0) > 0;
        return settled ? (found as [Posted, Posted, Posted]) : undefined;
      },
      20_000,
      200,
    );
    // Prometheus' labels as they are: no cluster, rack, category; its annotations templated.
    expect(diskFull.labels).toEqual({
      alertname: 'DiskFull',
      severity: 'page',
      team: 'storage',
      instance: 'db-1:9100',
    });
    expect(diskFull.annotations).toEqual({ summary: 'Disk full on db-1:9100' });
    expect(diskSlow.status.inhibitedBy).toHaveLength(1);
    expect(queue.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceID] });

    const pages = () => s.received('storage').map((_, i) => s.body('storage', i) as PagerDutyEvent);
    await waitUntil(failure('the DiskFull page'), () => pages().length > 0, 10_000, 100);
    // A severity PagerDuty does not know ("page") is sent as PagerDuty's "error", as Alertmanager does.
    expect(pages()[0]).toMatchObject({
      event_action: 'trigger',
      payload: { summary: 'Disk full on db-1:9100', severity: 'error', source: 'db-1:9100' },
    });

    // DiskFull resolves in Prometheus: PagerDuty gets the resolve, and DiskSlow, no longer inhibited, reaches ops.
    await waitUntil(
      failure('the DiskFull resolve'),
      () => pages().some((p) => p.event_action === 'resolve'),
      25_000,
      200,
    );
    const webhooks = () => s.received('ops').map((_, i) => s.body('ops', i) as WebhookPayload);
    await waitUntil(failure('DiskSlow on the webhook'), () => webhooks().length > 0, 10_000, 100);
    expect(pages().map((p) => p.event_action)).toEqual(['trigger', 'resolve']);
    expect(new Set(pages().map((p) => p.dedup_key)).size).toBe(1);
    // Only DiskSlow went to ops: QueueStuck stayed silenced all along.
    const paged = webhooks().flatMap((w) => w.alerts.map((a) => `${a.status} ${a.labels['alertname']}`));
    expect(paged).toEqual(['firing DiskSlow']);
    expect(s.alerter.stats.failed).toBe(0);
  }, 90_000);
});
