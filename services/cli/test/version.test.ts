import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  startProcess,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type RunningProcess,
  type TestNatsServer,
} from '@kiln/testkit';
import { gitRevision } from '@kiln/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();

let nats: TestNatsServer;
let dir: { path: string; remove(): Promise<void> };
let alerter: RunningProcess | undefined;

beforeAll(async () => {
  nats = await startTestNatsServer();
  dir = await tempDir('kiln-version-');
}, 30_000);
afterAll(async () => {
  if (alerter?.alive()) await alerter.stop(10_000);
  await nats?.dispose();
  await dir?.remove();
});

describe('which Kiln build runs', () => {
  it('kiln --version, -V and version print the version, the git revision and Node.js', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const args of [['--version'], ['-V'], ['version']]) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`kiln ${version} (revision ${revision}, node ${process.version})\n`);
    }
  });

  it('reads the revision from a worktree, packed refs or a detached HEAD, and says "unknown" outside a checkout', async () => {
    const commit = 'a'.repeat(40);
    const plain = join(dir.path, 'plain');
    await mkdir(join(plain, '.git'), { recursive: true });
    await writeFile(join(plain, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(plain, '.git', 'packed-refs'), `# pack-refs with: peeled\n${commit} refs/heads/main\n`);
    expect(gitRevision(plain)).toBe(commit);
    const worktree = join(dir.path, 'wt');
    await mkdir(join(plain, '.git', 'worktrees', 'wt'), { recursive: true });
    await mkdir(worktree);
    await writeFile(join(worktree, '.git'), `gitdir: ${join(plain, '.git', 'worktrees', 'wt')}\n`);
    await writeFile(join(plain, '.git', 'worktrees', 'wt', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(plain, '.git', 'worktrees', 'wt', 'commondir'), '../..\n');
    expect(gitRevision(worktree)).toBe(commit);
    await writeFile(join(plain, '.git', 'HEAD'), `${'b'.repeat(40)}\n`);
    expect(gitRevision(plain)).toBe('b'.repeat(40));
    expect(gitRevision(join(dir.path, 'nowhere'))).toBe('unknown');
  });

  it('the alerter reports it in /api/v2/status, and /metrics carries kiln_build_info and service.version', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const file = join(dir.path, 'kiln.yaml');
    await writeFile(
      file,
      [
        `data_dir: ${join(dir.path, 'data')}`,
        `nats: { url: "${nats.url}" }`,
        `alerter: { listen: "127.0.0.1:${apiPort}" }`,
        `metrics: { listen: "127.0.0.1:${metricsPort}" }`,
      ].join('\n'),
    );
    alerter = startProcess('kiln alerter', process.execPath, [bin, 'alerter', '--config', file]);
    const proc = alerter;
    await waitUntil('alerter started', () => proc.lines().some((l) => l.includes('alerter started')), 30_000, 20).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}\n${proc.tail()}`);
      },
    );
    const status = (await (await fetch(`http://127.0.0.1:${apiPort}/api/v2/status`)).json()) as {
      versionInfo: { version: string; revision: string };
    };
    expect(status.versionInfo).toMatchObject({ version, revision });
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const labels = `version="${version}",revision="${revision}",node="${process.version}"`;
    expect(metrics).toMatch(new RegExp(`^kiln_build_info\\{${labels.replace(/[.]/g, '\\.')}\\} 1$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^target_info\\{[^}]*service_version="${version.replace(/[.]/g, '\\.')}"`, 'm'));
  }, 60_000);
});
