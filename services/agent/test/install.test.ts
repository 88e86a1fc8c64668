import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, startProcess, startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { externalModules, BUNDLE, REPO_ROOT } from './bundle.js';
import { adminConnection, agentUser, authorization, readSubject } from './support.js';

/**
 * The systemd recipe, followed as deploy/systemd/kiln-agent.service writes it, on a "host" that is a fresh directory
 * outside the repository: its header's command that puts the agent under /opt/kiln-agent, then its ExecStart, each
 * with the host's root moved into that directory.
 */
const unit = readFileSync(join(REPO_ROOT, 'deploy', 'systemd', 'kiln-agent.service'), 'utf8');
const header = unit.slice(0, unit.indexOf('[Unit]'));
const recipe = header.split('\n').flatMap((line) => /^#\s{3}(\S.*)$/.exec(line)?.[1] ?? []);
const installAgent = recipe.filter((command) => command.includes('/opt/kiln-agent'));
const execStart = /^ExecStart=(.+)$/m.exec(unit)?.[1]?.split(/\s+/) ?? [];

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('the unit installs one file and runs it with the system node', () => {
  expect(installAgent).toEqual(['install -D -m 0644 kiln-agent.mjs /opt/kiln-agent/kiln-agent.mjs']);
  expect(execStart).toEqual(['/usr/bin/node', '/opt/kiln-agent/kiln-agent.mjs', '--config', '/etc/kiln/agent.yaml']);
});

it('the bundle leaves Node nothing to resolve but its own modules, and names no path of the checkout', () => {
  const text = readFileSync(BUNDLE, 'utf8');
  const builtins = new Set(builtinModules);
  const outside = [...externalModules(text)].filter((m) => !builtins.has(m.replace(/^node:/, '')));
  expect(outside).toEqual([]);
  expect(text).not.toContain(realpathSync(REPO_ROOT));
});

it('installed by the recipe on a host without the repository, the agent publishes to JetStream and serves its metrics', async () => {
  const host = await tempDir('kiln-agent-host-');
  cleanup.push(() => host.remove());
  const root = realpathSync(host.path);
  expect(relative(realpathSync(REPO_ROOT), root)).toMatch(/^\.\.\//);
  const onHost = (path: string): string => path.replace(/^\/(opt|etc|var)\//, `${root}/$1/`);

  // The file as copied to the host, then the recipe's install line there.
  const upload = join(root, 'upload');
  mkdirSync(upload);
  copyFileSync(BUNDLE, join(upload, 'kiln-agent.mjs'));
  for (const command of installAgent)
    execFileSync('sh', ['-c', command.replaceAll('/opt/', `${root}/opt/`)], { cwd: upload });

  const nats = await startTestNatsServer(authorization('c1', 'r0001', ['r0001-t01']));
  cleanup.push(() => nats.dispose());
  const admin = await adminConnection(nats.url);
  cleanup.push(() => admin.nc.close());
  const metricsPort = await freePort();
  const [node, ...args] = execStart.map(onHost);
  const configFile = onHost('/etc/kiln/agent.yaml');
  mkdirSync(join(root, 'etc', 'kiln'), { recursive: true });
  writeFileSync(
    configFile,
    [
      `data_dir: ${onHost('/var/lib/kiln-agent')}`,
      `nats: { url: "${nats.url}", user: ${agentUser('r0001-t01').user}, password: ${agentUser('r0001-t01').password} }`,
      'agent: { cluster: c1, rack: r0001, host: r0001-t01, source: sim, interval_ms: 200 }',
      `metrics: { listen: "127.0.0.1:${metricsPort}" }`,
      '',
    ].join('\n'),
  );
  expect(args).toContain(configFile);

  // Run where systemd would leave it, in no directory of the checkout, with no module path to fall back on.
  const agent = startProcess('installed kiln-agent', node!, args, { NODE_PATH: '', KILN_LOG_LEVEL: 'info' }, root);
  cleanup.push(() => agent.stop());
  try {
    const subject = gpuSubject('c1', 'r0001', 'r0001-t01');
    const stored = await waitUntil(
      'samples in JetStream',
      async () => {
        const samples = await readSubject(admin.jsm, subject);
        return samples.length >= 3 && samples;
      },
      30_000,
    );
    expect(stored[0]!.message).toMatchObject({ v: 1, cluster: 'c1', rack: 'r0001', host: 'r0001-t01' });
    expect(stored[0]!.message.gpus).toHaveLength(4);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^kiln_agent_published_messages_total(\{[^}]*\})? [1-9]/m);
    expect(await agent.stop()).toBe(0);
  } catch (err) {
    throw new Error(`${String(err)}\n${agent.tail()}`);
  }
});
