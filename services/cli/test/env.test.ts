import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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
const check = (file: string, env: Record<string, string>) =>
  spawnSync(process.execPath, [bin, 'check', '--config', file], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });

let nats: TestNatsServer;
let dir: { path: string; remove(): Promise<void> };
let pager: HttpReceiver;
let alerter: RunningProcess | undefined;
let empty: string;

beforeAll(async () => {
  nats = await startTestNatsServer();
  dir = await tempDir('kiln-env-');
  pager = await startHttpReceiver();
  empty = join(dir.path, 'empty.yaml');
  await writeFile(empty, '{}\n');
}, 30_000);
afterAll(async () => {
  if (alerter?.alive()) await alerter.stop(10_000);
  await nats?.dispose();
  await pager?.close();
  await dir?.remove();
});

describe('environment overrides', () => {
  it('are typed by the schema: strings verbatim, numbers and lists parsed', () => {
    const r = check(empty, {
      KILN_CLICKHOUSE_USER: '0123',
      KILN_CLICKHOUSE_PASSWORD: '#pw',
      KILN_NATS_URL: 'nats://127.0.0.1:4223',
      KILN_AGGREGATOR_WINDOWS_MS: '[10000, 30000]',
      KILN_NATS_REPLICAS: '3',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('nats nats://127.0.0.1:4223');
  });

  it('a bad value is the variable’s problem, not the file’s', async () => {
    const file = join(dir.path, 'replicas.yaml');
    await writeFile(file, 'nats:\n  replicas: 1\n');
    const r = check(file, { KILN_NATS_REPLICAS: '9' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ {2}KILN_NATS_REPLICAS: nats\.replicas: /m);
    expect(r.stderr).not.toContain(`${file}:2`);
  });

  it('a secret file that cannot be read is named with its variable or key and its path', async () => {
    const file = join(dir.path, 'pd.yaml');
    await writeFile(
      file,
      ['notify:', `  - { type: pagerduty, routing_key_file: ${join(dir.path, 'missing-key')} }`].join('\n'),
    );
    const r = check(file, { KILN_CLICKHOUSE_PASSWORD_FILE: join(dir.path, 'missing-ch') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `KILN_CLICKHOUSE_PASSWORD_FILE: cannot read the secret file ${join(dir.path, 'missing-ch')}: ENOENT`,
    );
    expect(r.stderr).toContain(
      `${file}:2:42: notify[0].routing_key_file: cannot read the secret file ${join(dir.path, 'missing-key')}: ENOENT`,
    );
    expect(r.stderr).not.toMatch(/routing_key: Invalid input/);
  });

  it('secrets come from files: the alerter’s password from KILN_…_FILE, a routing key from routing_key_file', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const passwordFile = join(dir.path, 'alerter-password');
    const keyFile = join(dir.path, 'routing-key');
    await writeFile(passwordFile, '#pw 0123\n');
    await writeFile(keyFile, 'rk-0123\n');
    const file = join(dir.path, 'kiln.yaml');
    await writeFile(
      file,
      [
        `data_dir: ${join(dir.path, 'data')}`,
        `nats: { url: "${nats.url}" }`,
        `alerter: { listen: "127.0.0.1:${apiPort}" }`,
        `metrics: { listen: "127.0.0.1:${metricsPort}" }`,
        'notify:',
        `  - { type: pagerduty, name: pd, routing_key_file: ${keyFile}, url: "${pager.url}/enqueue" }`,
        'route: { receiver: pd, group_wait: 100ms }',
      ].join('\n'),
    );
    alerter = startProcess('kiln alerter', process.execPath, [bin, 'alerter', '--config', file], {
      KILN_ALERTER_BASIC_AUTH_USER: 'ops',
      KILN_ALERTER_BASIC_AUTH_PASSWORD_FILE: passwordFile,
      KILN_ALERTER_BASIC_AUTH_PROTECT_READS: 'true',
    });
    const proc = alerter;
    await waitUntil('alerter started', () => proc.lines().some((l) => l.includes('alerter started')), 30_000, 20).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}\n${proc.tail()}`);
      },
    );
    const status = (authorization?: string) =>
      fetch(`http://127.0.0.1:${apiPort}/api/v2/status`, authorization ? { headers: { authorization } } : {}).then(
        (r) => r.status,
      );
    expect(await status()).toBe(401);
    expect(await status(`Basic ${Buffer.from('ops:#pw 0123').toString('base64')}`)).toBe(200);

    const nc = await connect({ servers: nats.url });
    const labels = {
      alertname: 'GpuHot',
      severity: 'critical',
      category: 'thermal',
      cluster: 'c1',
      rack: 'r1',
      host: 'r1-t00',
      gpu: '0',
      uuid: 'GPU-r1-0',
    };
    await jetstream(nc).publish(
      alertSubject('c1', 'r1'),
      JSON.stringify({
        labels,
        annotations: { summary: 'hot', description: 'temp_c=92' },
        status: 'firing',
        startsAt: Date.now(),
      }),
    );
    await nc.close();
    await pager
      .waitFor((requests) => requests.length > 0, 15_000)
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n${proc.tail()}`);
      });
    expect((JSON.parse(pager.requests[0]!.body) as { routing_key: string }).routing_key).toBe('rk-0123');
  }, 60_000);
});
