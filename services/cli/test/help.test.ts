import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, tempDir, waitUntil } from '@kiln/testkit';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));
const kiln = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('kiln help', () => {
  it('kiln help up, kiln up --help and kiln up -h print the command’s usage and every option with its description', () => {
    const help = kiln(['help', 'up']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: kiln up \[options\]\n/);
    expect(help.stdout).toMatch(/^ {2}-c, --config FILE +the configuration file/m);
    expect(help.stdout).toMatch(/^ {2}-h, --help +print this command's usage/m);
    expect(help.stdout).toMatch(/^ {6}--simulate +also run the simulated GB300 fleet/m);
    for (const args of [
      ['up', '--help'],
      ['up', '-h'],
    ]) {
      const r = kiln(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(help.stdout);
    }
    expect(kiln(['help', 'frobnicate']).status).toBe(2);
  });

  it('every command lists each of its options, described', () => {
    for (const command of COMMANDS) {
      const r = kiln(['help', command.name]);
      expect(r.status, r.stderr).toBe(0);
      for (const [name, option] of Object.entries(command.options)) {
        expect(r.stdout, `kiln help ${command.name}`).toMatch(
          new RegExp(`--${name}\\b.* {2}${option.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        );
      }
    }
  });
});

describe('SIGHUP', () => {
  it('stops kiln store cleanly: exit 0 after its normal shutdown', async () => {
    const dir = await tempDir('kiln-hup-');
    try {
      const listen = `127.0.0.1:${await freePort()}`;
      const file = join(dir.path, 'kiln.yaml');
      await writeFile(
        file,
        `data_dir: ${join(dir.path, 'data')}\nclickhouse: { listen: "${listen}" }\nmetrics: { listen: "127.0.0.1:0" }\n`,
      );
      const store = startProcess('kiln store', process.execPath, [bin, 'store', '--config', file]);
      await waitUntil(
        'kiln store serving',
        async () => (await fetch(`http://${listen}/ping`).catch(() => undefined))?.ok === true,
        60_000,
        50,
      ).catch(async (err: unknown) => {
        await store.stop();
        throw new Error(`${String(err)}\n${store.tail()}`);
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        store.child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      store.child.kill('SIGHUP');
      expect(await exited, store.tail()).toEqual({ code: 0, signal: null });
    } finally {
      await dir.remove();
    }
  }, 90_000);
});
