import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUser } from '@nats-io/nkeys';
import { afterAll, expect, it } from 'vitest';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startAgent, type Agent } from '../src/index.js';
import { makeTlsFiles } from './nats-auth.js';
import { loadConfig } from '@kiln/config';
import { adminConnection, ADMIN, quiet, readSubject, testConfig } from './support.js';

const deployRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy');
const deploy = join(deployRoot, 'nats');
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('deploy/nats/nats-server.conf with its accounts and kiln-auth.conf is accepted by nats-server', async () => {
  const dir = await tempDir('kiln-deploy-nats-');
  cleanup.push(() => dir.remove());
  const tls = makeTlsFiles(dir.path);
  const conf = readFileSync(join(deploy, 'nats-server.conf'), 'utf8')
    .replace('/etc/nats/tls/server.pem', tls.serverCert)
    .replace('/etc/nats/tls/server-key.pem', tls.serverKey)
    .replace('/etc/nats/tls/ca.pem', tls.ca)
    .replace('/var/lib/nats/jetstream', join(dir.path, 'js'));
  writeFileSync(join(dir.path, 'nats-server.conf'), conf);
  for (const file of ['accounts.conf', 'kiln-auth.conf']) copyFileSync(join(deploy, file), join(dir.path, file));
  const check = spawnSync('nats-server', ['-t', '-c', join(dir.path, 'nats-server.conf')], { encoding: 'utf8' });
  expect(check.stdout + check.stderr).toMatch(/configuration file .* is valid/);
  expect(check.status).toBe(0);
});

it('agent-users.sh gives each host its own subject: its key works there and nowhere else', async () => {
  const dir = await tempDir('kiln-deploy-users-');
  cleanup.push(() => dir.remove());
  const key = createUser();
  const seedFile = join(dir.path, 'r5-t01.nkey');
  writeFileSync(seedFile, new TextDecoder().decode(key.getSeed()) + '\n');
  const entries = execFileSync(join(deploy, 'agent-users.sh'), {
    input: `# cluster rack host nkey\nc1 r5 r5-t01 ${key.getPublicKey()}\n`,
    encoding: 'utf8',
  });
  expect(entries.trim().split('\n')).toHaveLength(1);
  const server = await startTestNatsServer(
    `authorization { users = [\n{ user: "${ADMIN.user}", password: "${ADMIN.pass}" }\n${entries}] }\n`,
  );
  cleanup.push(() => server.dispose());
  const admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());

  const run = async (host: string): Promise<Agent> => {
    const agent = await startAgent(
      testConfig({
        nats: { url: server.url, nkey_seed_file: seedFile },
        agent: {
          cluster: 'c1',
          rack: 'r5',
          host,
          source: 'sim',
          interval_ms: 100,
          ack_timeout_ms: 300,
          spool_dir: join(dir.path, host),
        },
      }),
      { log: quiet },
    );
    cleanup.push(() => agent.stop());
    return agent;
  };
  const own = await run('r5-t01');
  await waitUntil('r5-t01 publishing', () => own.stats().published >= 3, 20_000);
  await own.stop();

  // The same key on a host configured as r5-t02: refused, so its samples wait in its spool.
  const other = await run('r5-t02');
  await waitUntil(
    'publishes refused and spooled',
    () => other.stats().publishFailures >= 2 && other.stats().spoolPending >= 5,
    20_000,
  );
  await other.stop();
  expect(other.stats().published + other.stats().replayed).toBe(0);
  expect(await readSubject(admin.jsm, gpuSubject('c1', 'r5', 'r5-t02'))).toEqual([]);
  expect((await readSubject(admin.jsm, gpuSubject('c1', 'r5', 'r5-t01'))).length).toBeGreaterThanOrEqual(3);
  expect(readFileSync(join(server.dir, 'nats-server.log'), 'utf8')).toMatch(/Publish Violation|Permissions Violation/);
});

it('the agent configurations of deploy/systemd and deploy/k8s are valid Kiln configurations', async () => {
  const systemd = await loadConfig(join(deployRoot, 'systemd', 'kiln-agent.yaml'), {});
  expect(systemd.agent).toMatchObject({ source: 'nvidia-smi', expected_gpus: 4 });
  expect(systemd.nats.nkey_seed_file).toBe('/etc/kiln/agent.nkey');

  const manifest = readFileSync(join(deployRoot, 'k8s', 'agent-daemonset.yaml'), 'utf8');
  expect(manifest.match(/^kind: \w+/gm)).toEqual(['kind: Namespace', 'kind: ConfigMap', 'kind: DaemonSet']);
  expect(manifest).toMatch(/- name: KILN_AGENT_HOST\n\s+valueFrom: \{ fieldRef: \{ fieldPath: spec.nodeName \} \}/);
  const dir = await tempDir('kiln-deploy-k8s-');
  cleanup.push(() => dir.remove());
  const file = join(dir.path, 'agent.yaml');
  writeFileSync(file, literalBlock(manifest, 'agent.yaml'));
  const k8s = await loadConfig(file, { KILN_AGENT_HOST: 'gb300-node-1' });
  expect(k8s.agent).toMatchObject({ host: 'gb300-node-1', cluster: 'eus2-ai1', source: 'nvidia-smi' });
  expect(k8s.nats.nkey_seed_file).toBe('/etc/kiln/node/agent.nkey');
});

/** The text of a YAML literal block `key: |`, de-indented. */
function literalBlock(text: string, key: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === `${key}: |`);
  expect(at).toBeGreaterThanOrEqual(0);
  const body: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() !== '' && !line.startsWith('    ')) break;
    body.push(line.slice(4));
  }
  return body.join('\n');
}
