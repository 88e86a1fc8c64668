import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { alertSubject } from '@kiln/nats';
import {
  freePort,
  startHttpReceiver,
  startProcess,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type RunningProcess,
  type TestNatsServer,
} from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));
const AUTH = `Basic ${Buffer.from('ops:pw').toString('base64')}`;

let nats: TestNatsServer;
let nc: NatsConnection;
let dir: { path: string; remove(): Promise<void> };
let a: HttpReceiver;
let b: HttpReceiver;
let alerter: RunningProcess | undefined;

beforeAll(async () => {
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  dir = await tempDir('kiln-reload-');
  [a, b] = await Promise.all([startHttpReceiver(), startHttpReceiver()]);
}, 30_000);
afterAll(async () => {
  if (alerter?.alive()) await alerter.stop(10_000);
  await nc?.close();
  await nats?.dispose();
  await a?.close();
  await b?.close();
  await dir?.remove();
});

/** A firing GpuHot on GPU 0 of `rack`, as Kiln's detectors publish it. */
async function fire(rack: string): Promise<void> {
  const labels = {
    alertname: 'GpuHot',
    severity: 'critical',
    category: 'thermal',
    cluster: 'c1',
    rack,
    host: `${rack}-t00`,
    gpu: '0',
    uuid: `GPU-${rack}-0`,
  };
  const event = {
    labels,
    annotations: { summary: `${rack} hot`, description: 'temp_c=92' },
    status: 'firing',
    startsAt: Date.now(),
  };
  await jetstream(nc).publish(alertSubject('c1', rack), JSON.stringify(event));
}
const racksPaged = (r: HttpReceiver) =>
  r.requests.map((q) =>
    (JSON.parse(q.body) as { alerts: { labels: { rack: string } }[] }).alerts.map((x) => x.labels.rack).join(','),
  );

describe('kiln alerter reloads its configuration', () => {
  it('on SIGHUP and POST /-/reload: new routes apply to the running state, a bad file is refused and the old one kept', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const api = `http://127.0.0.1:${apiPort}`;
    const file = join(dir.path, 'kiln.yaml');
    const config = (routes: string) =>
      [
        `data_dir: ${join(dir.path, 'data')}`,
        `nats: { url: "${nats.url}" }`,
        `alerter: { listen: "127.0.0.1:${apiPort}", basic_auth: { user: ops, password: pw } }`,
        `metrics: { listen: "127.0.0.1:${metricsPort}" }`,
        'notify:',
        `  - { type: webhook, name: team-a, url: "${a.url}" }`,
        `  - { type: webhook, name: team-b, url: "${b.url}" }`,
        `route: { receiver: team-a, group_by: [alertname, rack], group_wait: 200ms, group_interval: 1s${routes} }`,
      ].join('\n');
    await writeFile(file, config(''));
    alerter = startProcess('kiln alerter', process.execPath, [bin, 'alerter', '--config', file]);
    const proc = alerter;
    const logged = (text: string) =>
      waitUntil(`"${text}" in the log`, () => proc.lines().some((l) => l.includes(text)), 30_000, 20).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}\n${proc.tail()}`);
        },
      );
    await logged('alerter started');

    await fire('r1');
    await waitUntil('r1 paged to team-a', () => racksPaged(a).length === 1, 10_000, 20);

    // SIGHUP with a route for r2 to team-b.
    await writeFile(file, config(', routes: [{ receiver: team-b, matchers: [rack="r2"] }]'));
    proc.child.kill('SIGHUP');
    await logged('configuration reloaded');
    await fire('r2');
    await waitUntil('r2 paged to team-b', () => racksPaged(b).length === 1, 10_000, 20);
    expect(racksPaged(b)).toEqual(['r2']);

    // A bad file: refused over HTTP (with the problem named) and on SIGHUP; the process and the old routes carry on.
    await writeFile(file, config(', routes: [{ receiver: nobody }]'));
    expect((await fetch(`${api}/-/reload`, { method: 'POST' })).status).toBe(401);
    const refused = await fetch(`${api}/-/reload`, { method: 'POST', headers: { authorization: AUTH } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/nobody/);
    proc.child.kill('SIGHUP');
    await waitUntil(
      'the SIGHUP refusal',
      () => proc.lines().filter((l) => l.includes('configuration reload refused')).length === 2,
      10_000,
      20,
    );
    const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(await metrics()).toMatch(/^kiln_config_reload_success(\{[^}]*\})? 0$/m);
    await fire('r3');
    await fire('r2');
    await waitUntil('r3 paged to team-a', () => racksPaged(a).length === 2, 10_000, 20);
    expect(proc.alive()).toBe(true);

    // Fixed: the reload applies and the metric says so.
    await writeFile(file, config(', routes: [{ receiver: team-b, matchers: [rack="r2"] }]'));
    expect((await fetch(`${api}/-/reload`, { method: 'POST', headers: { authorization: AUTH } })).status).toBe(200);
    expect(await metrics()).toMatch(/^kiln_config_reload_success(\{[^}]*\})? 1$/m);
    // The same routing as the one running: nothing is swapped (a swap would cancel notifications in flight).
    await logged('routing unchanged');
    await new Promise((r) => setTimeout(r, 1_500)); // room for a re-page, if a reload caused one
    // Each alert paged once: a reload re-sends nothing already delivered to a receiver.
    expect(racksPaged(a)).toEqual(['r1', 'r3']);
    expect(racksPaged(b)).toEqual(['r2']);
  }, 90_000);
});
