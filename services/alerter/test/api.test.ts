import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startTestNatsServer, tempDir, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '@kiln/http';
import { alertLabels, Scenario } from './scenario.js';

const run = promisify(execFile);
const AUTH = { user: 'oncall', password: 'pump-swap-42' };

let nats: TestNatsServer;
let nc: NatsConnection;
let s: Scenario;
let dir: { path: string; remove(): Promise<void> };
let httpConfig: string;

/** Runs the real amtool against the alerter; resolves with its output, or with the failure's output and code. */
async function amtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('amtool', [`--alertmanager.url=${s.alerter.api.url}`, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('amtool not found: install the Debian package prometheus-alertmanager');
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const api = (path: string, init: RequestInit = {}) => fetch(`${s.alerter.api.url}${path}`, init);
const basic = { authorization: basicAuthorization(AUTH) };

beforeAll(async () => {
  // The real amtool is part of this suite: a missing binary fails it, it never skips.
  await run('amtool', ['--version']).catch((err: unknown) => {
    throw new Error(`amtool is required (Debian package prometheus-alertmanager): ${String(err)}`);
  });
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  dir = await tempDir('kiln-amtool-');
  httpConfig = join(dir.path, 'http.yml');
  await writeFile(httpConfig, `basic_auth:\n  username: ${AUTH.user}\n  password: ${AUTH.password}\n`);
  s = await Scenario.start(nc, 'api', {
    receivers: { hook: { type: 'webhook' } },
    route: { receiver: 'hook', group_by: ['alertname', 'rack'], group_wait: '200ms', group_interval: '1s' },
    alerter: { basic_auth: AUTH },
  });
});
afterAll(async () => {
  await s?.stop();
  await nc?.close();
  await nats?.dispose();
  await dir?.remove();
});

describe('the real amtool against the alerter', () => {
  it('adds a silence (with basic auth), sees the alert silenced and nothing paged, expires it, and the page goes out', async () => {
    await s.play('0 +GpuHot{r1,0}');
    await s.until(0.6);
    s.expect('hook', '0.2..0.6 firing +GpuHot{r1,0}');

    const refused = await amtool(
      'silence',
      'add',
      'alertname=GpuHot',
      'rack=r1',
      '-a',
      'oncall',
      '-c',
      'CDU pump swap',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/401/);

    const added = await amtool(
      `--http.config.file=${httpConfig}`,
      'silence',
      'add',
      'alertname=GpuHot',
      'rack=r1',
      '-a',
      'oncall',
      '-c',
      'CDU pump swap',
      '-d',
      '1h',
    );
    expect(added.code).toBe(0);
    const id = added.out.trim();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const query = JSON.parse((await amtool('-o', 'json', 'silence', 'query', 'rack=r1')).out) as {
      id: string;
      createdBy: string;
      comment: string;
      status: { state: string };
    }[];
    expect(query).toMatchObject([{ id, createdBy: 'oncall', comment: 'CDU pump swap', status: { state: 'active' } }]);

    expect((await amtool('alert', 'query')).out).not.toMatch(/GpuHot/);
    const silenced = JSON.parse((await amtool('-o', 'json', 'alert', 'query', '--silenced')).out) as {
      labels: Record<string, string>;
      status: { state: string; silencedBy: string[] };
    }[];
    expect(silenced).toMatchObject([
      { labels: alertLabels('GpuHot{r1,0}'), status: { state: 'suppressed', silencedBy: [id] } },
    ]);

    // Another GPU of the silenced rack overheats: nobody is paged.
    await s.play('0 +GpuHot{r1,1}');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(s.received('hook')).toHaveLength(1);

    const expired = await amtool(`--http.config.file=${httpConfig}`, 'silence', 'expire', id);
    expect(expired.code).toBe(0);
    expect((await amtool('silence', 'query')).out).not.toContain(id);
    expect((await amtool('silence', 'query', '--expired')).out).toContain(id);
    // Once the silence is gone the new alert goes out after group_wait, with the one already paged.
    await waitUntil('the page after the silence expired', () => s.received('hook').length === 2, 5_000, 20);
    expect(s.received('hook')[1]!.what).toBe('firing +GpuHot{r1,0} +GpuHot{r1,1}');
    expect(s.body('hook', 1)).toMatchObject({ notification_reason: 'new alerts added' });
  });

  it('shows the routing tree to amtool config routes', async () => {
    const tested = await amtool('config', 'routes', 'test', 'alertname=GpuHot', 'rack=r1');
    expect(tested).toEqual({ code: 0, out: 'hook\n' });
  });

  it('shows the built-in topology inhibitions to amtool config show', async () => {
    const shown = await amtool('config', 'show');
    expect(shown.code).toBe(0);
    const config = JSON.parse(shown.out) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    expect(config.inhibit_rules).toHaveLength(7);
    expect(config.inhibit_rules[0]).toEqual({
      source_matchers: ['alertname="RackCoolingFailure"', 'rack=~".+"'],
      target_matchers: ['category="thermal"', 'host=~".+"'],
      equal: ['cluster', 'rack'],
    });
    expect(config.inhibit_rules.map((r) => r.source_matchers.join(','))).toContain('alertname="HostSilent",rack=~".+"');
    // A rack's NVLink or fabric trouble mutes the per-GPU alerts of the same cause.
    expect(
      config.inhibit_rules.find((r) => r.source_matchers[0] === 'alertname="RackNvlinkDegraded"')?.target_matchers,
    ).toEqual(['alertname="GpuNvlinkDegraded"', 'host=~".+"']);
    expect(
      config.inhibit_rules.find((r) => r.source_matchers[0] === 'alertname="RackFabricNotReady"')?.target_matchers,
    ).toEqual(['alertname="GpuFabricNotReady"', 'host=~".+"']);
  });
});

describe('Alertmanager API v2', () => {
  it('takes posted alerts, names the problems of those Alertmanager would refuse, and lists them', async () => {
    const labels = alertLabels('GpuHot{r7,2}');
    const good = {
      labels,
      annotations: { summary: 'posted', description: 'by a test' },
      startsAt: new Date().toISOString(),
    };
    const bad = { labels: {}, annotations: { summary: 'no labels' } };
    expect((await api('/api/v2/alerts', { method: 'POST', body: JSON.stringify([good]) })).status).toBe(401);
    const res = await api('/api/v2/alerts', { method: 'POST', headers: basic, body: JSON.stringify([good, bad]) });
    expect(res.status).toBe(400);
    expect(await res.json()).toBe('alerts[1]: labels: at least one label is required');

    const listed = (await (await api('/api/v2/alerts?filter=rack="r7"')).json()) as {
      labels: Record<string, string>;
      receivers: { name: string }[];
      status: { state: string };
      endsAt: string;
    }[];
    expect(listed).toMatchObject([{ labels, receivers: [{ name: 'hook' }], status: { state: 'active' } }]);
    expect(Date.parse(listed[0]!.endsAt)).toBeGreaterThan(Date.now()); // resolve_timeout from now
    const groups = (await (await api('/api/v2/alerts/groups?filter=rack="r7"')).json()) as {
      labels: Record<string, string>;
      receiver: { name: string };
    }[];
    expect(groups).toMatchObject([{ labels: { alertname: 'GpuHot', rack: 'r7' }, receiver: { name: 'hook' } }]);
    expect((await api('/api/v2/alerts?filter=rack=~"(')).status).toBe(400);
  });

  it('ends a silence tagged [until-resolved] once its alert resolved, so the next episode pages', async () => {
    const silence = {
      matchers: [{ name: 'rack', value: 'r3', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'oncall',
      comment: 'GPU swap in r3 [until-resolved]',
    };
    const created = await api('/api/v2/silences', { method: 'POST', headers: basic, body: JSON.stringify(silence) });
    const { silenceID } = (await created.json()) as { silenceID: string };
    const aboutR3 = () => s.received('hook').filter((r) => r.what.includes('{r3,'));
    await s.play(`
      0.0 +GpuHot{r3,0}
      0.5 -GpuHot{r3,0}
    `);
    await waitUntil(
      'the silence to end with its alert',
      async () => {
        const got = (await (await api(`/api/v2/silence/${silenceID}`)).json()) as {
          status: { state: string };
          endsWhenResolved: boolean;
        };
        return got.status.state === 'expired' && got.endsWhenResolved;
      },
      5_000,
      50,
    );
    expect(aboutR3()).toEqual([]);
    await s.play('0 +GpuHot{r3,0}');
    await waitUntil('the next episode to page', () => aboutR3().length === 1, 5_000, 20);
    expect(aboutR3()[0]!.what).toBe('firing +GpuHot{r3,0}');
  });

  it('answers status, receivers, health, and 404s', async () => {
    const status = (await (await api('/api/v2/status')).json()) as {
      cluster: { status: string };
      config: { original: string };
      versionInfo: { version: string };
    };
    expect(status.cluster.status).toBe('disabled');
    expect(JSON.parse(status.config.original)).toMatchObject({
      route: { receiver: 'hook', group_wait: '200ms', group_interval: '1s' },
      receivers: [{ name: 'hook' }],
    });
    expect(await (await api('/api/v2/receivers')).json()).toEqual([{ name: 'hook' }]);
    expect(await (await api('/-/healthy')).text()).toBe('OK\n');
    expect((await api('/-/ready')).status).toBe(200);
    expect((await api('/api/v2/silence/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect(
      (await api('/api/v2/silence/00000000-0000-4000-8000-000000000000', { method: 'DELETE', headers: basic })).status,
    ).toBe(404);
    expect((await api('/api/v2/nothing')).status).toBe(404);
    expect((await api('/api/v2/status', { method: 'POST' })).status).toBe(405);
  });
});

describe('reads behind basic auth (alerter.basic_auth.protect_reads)', () => {
  it('asks for the credentials on every read but the health endpoints', async () => {
    const guarded = await Scenario.start(nc, 'protected', {
      receivers: { hook: { type: 'webhook' } },
      alerter: { basic_auth: { ...AUTH, protect_reads: true } },
    });
    try {
      const get = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${guarded.alerter.api.url}${path}`, { headers });
      expect((await get('/api/v2/alerts')).status).toBe(401);
      expect((await get('/api/v2/silences')).status).toBe(401);
      expect((await get('/api/v2/status')).status).toBe(401);
      expect((await get('/api/v2/alerts', basic)).status).toBe(200);
      expect((await get('/-/healthy')).status).toBe(200);
      expect((await get('/-/ready')).status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});
