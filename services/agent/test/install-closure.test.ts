import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '@kiln/testkit';
import { inlinedPackages, TARBALL } from './bundle.js';

/**
 * The agent runs on every GPU host and installs only what it uses. This walks the production
 * dependency closure of @kiln/agent from the package.json files, resolving workspace packages to their folders and
 * the others through node_modules as Node and npm do, i.e. what `npm install --workspace services/agent --omit=dev`
 * installs, and checks what it must never contain.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const read = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

const workspaces = new Map<string, string>();
for (const group of ['packages', 'services']) {
  for (const name of readdirSync(join(repo, group))) {
    const dir = join(repo, group, name);
    if (existsSync(join(dir, 'package.json'))) workspaces.set(read(dir).name, dir);
  }
}

/** The folder `name` resolves to when required from `from`: a workspace, or the nearest node_modules holding it. */
function resolvePackage(name: string, from: string): string {
  const workspace = workspaces.get(name);
  if (workspace) return workspace;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) throw new Error(`${name} (required from ${from}) is not installed`);
  }
}

function closure(root: string): Set<string> {
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0) {
    const dir = queue.pop()!;
    const manifest = read(dir);
    if (seen.has(manifest.name)) continue;
    seen.add(manifest.name);
    const deps = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
    for (const dep of Object.keys(deps)) {
      try {
        queue.push(resolvePackage(dep, dir));
      } catch (err) {
        // An optional or peer dependency that is not installed is not pulled either.
        if (manifest.dependencies?.[dep] !== undefined) throw err;
      }
    }
  }
  return seen;
}

it('installing the agent pulls neither chdb, the ClickHouse client, the store nor the aggregator', () => {
  const agent = closure(workspaces.get('@kiln/agent')!);
  // @kiln/config composes the rules' and receivers' schemas from @kiln/detect/rules and @kiln/alerts/receivers, so the
  // workspace package reaches detect, alerts and window; the agent a GPU host installs is the bundle, which carries
  // only the schema modules (next test).
  for (const forbidden of [
    'chdb',
    '@clickhouse/client',
    '@kiln/store',
    '@kiln/ingest',
    '@kiln/aggregator',
    '@kiln/alerter',
    '@kiln/cli',
  ]) {
    expect(agent, forbidden).not.toContain(forbidden);
  }
  expect(agent).toContain('@nats-io/transport-node');
  // The walk does see chdb where it is: from the store.
  expect(closure(workspaces.get('@kiln/store')!)).toContain('chdb');
});

/** Bounds on what a GPU host installs; the README states the measured figures. */
const MAX_INSTALL_BYTES = 3 << 20;
/** What the agent must not carry: sdk-node's gRPC, protobuf and CLI parsing, and the store's engines. */
const NEVER_INLINED = [
  '@opentelemetry/sdk-node',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  'yargs',
  'chdb',
  '@clickhouse/client',
];

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/** Every file under `dir`, as [path relative to dir, bytes]. */
function filesUnder(dir: string, prefix = ''): [string, number][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): [string, number][] => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, `${prefix}${entry.name}/`);
    return [[`${prefix}${entry.name}`, entry.isSymbolicLink() ? 0 : statSync(path).size]];
  });
}

it('the npm tarball installs offline as one package of one file, without sdk-node, gRPC or protobufjs in it', async () => {
  const host = await tempDir('kiln-agent-npm-');
  cleanup.push(() => host.remove());
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', TARBALL], {
    cwd: host.path,
    stdio: 'pipe',
  });
  const modules = join(host.path, 'node_modules');
  const installed = filesUnder(modules).filter(([file]) => !file.startsWith('.'));
  expect(installed.map(([file]) => file).sort()).toEqual(['kiln-agent/kiln-agent.mjs', 'kiln-agent/package.json']);
  const bytes = installed.reduce((sum, [, size]) => sum + size, 0);
  expect(bytes).toBeLessThanOrEqual(MAX_INSTALL_BYTES);

  const inlined = inlinedPackages(readFileSync(join(modules, 'kiln-agent', 'kiln-agent.mjs'), 'utf8'));
  expect(inlined).toContain('@nats-io/transport-node');
  expect(inlined).toContain('@opentelemetry/sdk-metrics');
  for (const name of NEVER_INLINED) expect(inlined, name).not.toContain(name);
  // Nor the aggregation core, the detectors or the alerting runtime: the configuration takes only their schemas.
  const bundle = readFileSync(join(modules, 'kiln-agent', 'kiln-agent.mjs'), 'utf8');
  expect(bundle).not.toMatch(/\bclass (WindowCore|GpuRegistry|Detection|Dispatcher|Inhibitor)\b/);

  const usage = execFileSync(join(modules, '.bin', 'kiln-agent'), ['--help'], { cwd: host.path, encoding: 'utf8' });
  expect(usage).toMatch(/^usage: kiln-agent /);
});
