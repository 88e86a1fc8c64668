import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `npm run build` makes for GPU hosts (scripts/bundle.mjs): the one-file agent and its npm tarball. */
export const AGENT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(AGENT_DIR, '..', '..');
export const BUNDLE = join(AGENT_DIR, 'dist', 'bundle', 'kiln-agent.mjs');
const version = (JSON.parse(readFileSync(join(AGENT_DIR, 'package.json'), 'utf8')) as { version: string }).version;
export const TARBALL = join(AGENT_DIR, 'dist', `kiln-agent-${version}.tgz`);

/**
 * Every module the bundle leaves for Node to resolve at run time: its top-level imports, dynamic imports, and the
 * bundler's `__require` (what an inlined CommonJS module's require of a module outside the bundle becomes).
 */
export function externalModules(text: string): Set<string> {
  const found = text.matchAll(
    /^import\s[^'"]*?from\s+"([^"]+)"|^import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|\b__require\(\s*"([^"]+)"\s*\)/gm,
  );
  return new Set([...found].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!));
}

/** The npm packages inlined in the bundle, from the source comments the bundler writes before each module. */
export function inlinedPackages(text: string): Set<string> {
  const found = text.matchAll(/^\/\/ \S*node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm);
  return new Set([...found].map((m) => m[1]!));
}
