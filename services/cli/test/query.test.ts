import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, tempDir, waitUntil } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));

let dir: { path: string; remove(): Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir('kiln-query-');
  // Nothing serves this port: a kiln store of another test on the default one must not answer.
  env = { KILN_CLICKHOUSE_LISTEN: `127.0.0.1:${await freePort()}`, KILN_METRICS_LISTEN: '127.0.0.1:0' };
});
afterAll(async () => {
  await dir?.remove();
});

const query = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [bin, 'query', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

describe('kiln query', () => {
  it('without data says where it looked and how to point elsewhere, and creates nothing', async () => {
    const cwd = join(dir.path, 'empty');
    await mkdir(cwd);
    const r = query(['SELECT 1'], cwd);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${join(cwd, '.kiln', 'clickhouse')} holds no ClickHouse data`);
    expect(r.stderr).toMatch(/--config FILE/);
    expect(r.stderr).toMatch(/KILN_CLICKHOUSE_URL=/);
    expect(existsSync(join(cwd, '.kiln'))).toBe(false);

    // A data_dir that exists (an agent's spool, say) but holds no store.
    const dataDir = join(dir.path, 'state');
    await mkdir(dataDir);
    const file = join(dir.path, 'kiln.yaml');
    await writeFile(file, `data_dir: ${dataDir}\n`);
    const withConfig = query(['--config', file, 'SELECT 1'], cwd);
    expect(withConfig.status, withConfig.stderr).toBe(1);
    expect(withConfig.stderr).toContain(`(data_dir ${dataDir}, from ${file})`);
    expect(existsSync(join(dataDir, 'clickhouse'))).toBe(false);
  });

  it('queries the data a kiln store left behind', async () => {
    const dataDir = join(dir.path, 'stored');
    const file = join(dir.path, 'stored.yaml');
    await writeFile(file, `data_dir: ${dataDir}\n`);
    const store = startProcess('kiln store', process.execPath, [bin, 'store', '--config', file], env);
    await waitUntil(
      'kiln store serving',
      async () => (await fetch(`http://${env.KILN_CLICKHOUSE_LISTEN}/ping`).catch(() => undefined))?.ok === true,
      60_000,
      50,
    ).catch(async (err: unknown) => {
      await store.stop();
      throw new Error(`${String(err)}\n${store.tail()}`);
    });
    expect(await store.stop(30_000)).toBe(0);
    const r = query(['--config', file, '--json', 'SELECT count() AS n FROM kiln.gpu_rollup_10s'], dir.path);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ n: 0 });
  }, 90_000);
});
