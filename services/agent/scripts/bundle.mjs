// Builds the agent as GPU hosts install it, after `tsc` has written dist/: one file, dist/bundle/kiln-agent.mjs, with
// every workspace package and npm dependency inlined (all are plain JavaScript), so a host needs Node.js and nothing
// else: no repository, no node_modules. Beside it a package.json, and the same folder packed as an npm tarball,
// dist/kiln-agent-<version>.tgz, for hosts that install with npm. See the README's Installing.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const agentDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundleDir = join(agentDir, 'dist', 'bundle');
const agent = JSON.parse(readFileSync(join(agentDir, 'package.json'), 'utf8'));

rmSync(bundleDir, { recursive: true, force: true });
await build({
  input: join(agentDir, 'bin', 'kiln-agent.js'),
  platform: 'node',
  logLevel: 'warn',
  // Not minified: a stack trace in a GPU host's journal names the functions it passed through.
  // One file: the OTLP exporters, imported only when metrics.otlp_endpoint is set, are inlined but evaluated lazily.
  output: { file: join(bundleDir, 'kiln-agent.mjs'), format: 'esm', codeSplitting: false },
});
chmodSync(join(bundleDir, 'kiln-agent.mjs'), 0o755);

const manifest = {
  name: 'kiln-agent',
  version: agent.version,
  description: agent.description,
  type: 'module',
  bin: { 'kiln-agent': 'kiln-agent.mjs' },
  files: ['kiln-agent.mjs'],
  engines: agent.engines,
};
writeFileSync(join(bundleDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
mkdirSync(join(agentDir, 'dist'), { recursive: true });
// Packed from its own folder, so npm sees a lone package rather than a workspace of the monorepo.
execFileSync('npm', ['pack', '--silent', '--pack-destination', '..'], {
  cwd: bundleDir,
  stdio: ['ignore', 'ignore', 'inherit'],
});
