import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { applyEnvOverrides, configSchema } from '../src/index.js';
import { configReferenceFiles } from '../src/config-docs/files.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The rows of the reference's tables that name an environment variable: the key's path and the variable. */
function envRows(markdown: string): Array<{ path: string[]; env: string }> {
  const rows: Array<{ path: string[]; env: string }> = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split(' | ');
    const env = cells[3]?.match(/^`(KILN_[A-Z0-9_]+)`$/)?.[1];
    const path = cells[0]?.match(/^\| `([a-z0-9_.]+)`$/)?.[1];
    if (env && path) rows.push({ path: path.split('.'), env });
  }
  return rows;
}

describe('configuration reference', () => {
  it('docs/configuration.md and deploy/kiln.schema.json are what `npm run docs:config` writes from the schema', async () => {
    for (const file of configReferenceFiles()) {
      const committed = await readFile(join(REPO, file.path), 'utf8').catch(() => '(missing)');
      expect(committed, `${file.path} is out of date with packages/config/src/schema.ts: run npm run docs:config`).toBe(
        file.text,
      );
    }
  });

  it('names for every key an environment variable that sets that key', async () => {
    const markdown = configReferenceFiles().find((f) => f.path.endsWith('.md'))!.text;
    const rows = envRows(markdown);
    expect(rows.length).toBeGreaterThan(100);
    const dir = await mkdtemp(join(tmpdir(), 'kiln-config-docs-'));
    const secretFile = join(dir, 'secret');
    await writeFile(secretFile, 'sentinel\n');
    const valueAt = (config: unknown, path: readonly string[]): unknown =>
      path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
    try {
      for (const { path, env } of rows) {
        const secretKey = path.at(-1)!.replace(/_file$/, '');
        const isSecretFile =
          secretKey !== path.at(-1) && markdown.includes(`| \`${[...path.slice(0, -1), secretKey].join('.')}\` |`);
        if (isSecretFile) {
          // <key>_file of a secret: the variable names the file, and the key gets the file's text.
          expect(
            valueAt(applyEnvOverrides({}, configSchema, { [env]: secretFile }), [...path.slice(0, -1), secretKey]),
            env,
          ).toBe('sentinel');
        } else {
          expect(valueAt(applyEnvOverrides({}, configSchema, { [env]: 'sentinel' }), path), env).toBe('sentinel');
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('deploy/kiln.yaml points editors at the schema', async () => {
    const yaml = await readFile(join(REPO, 'deploy', 'kiln.yaml'), 'utf8');
    expect(yaml.split('\n')[0]).toBe('# yaml-language-server: $schema=./kiln.schema.json');
  });
});
