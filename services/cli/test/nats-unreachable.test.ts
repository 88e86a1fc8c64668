import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer, type NatsServerHandle } from '@kiln/nats';
import { freePort, startProcess, tempDir, waitUntil, type RunningProcess } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));
// A generous bound: without a deadline of their own, these commands wait for ever.
const kiln = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KILN_METRICS_LISTEN: '127.0.0.1:0' },
    timeout: 30_000,
  });

let dir: { path: string; remove(): Promise<void> };
let file: string;
let url: string;
let port: number;
let server: NatsServerHandle | undefined;
let aggregator: RunningProcess | undefined;

beforeAll(async () => {
  dir = await tempDir('kiln-nats-away-');
  port = await freePort();
  url = `nats://127.0.0.1:${port}`;
  file = join(dir.path, 'kiln.yaml');
  await writeFile(file, [`data_dir: ${join(dir.path, 'data')}`, `nats: { url: "${url}" }`].join('\n'));
});
afterAll(async () => {
  if (aggregator?.alive()) await aggregator.stop(10_000);
  await server?.stop();
  await dir?.remove();
});

describe('NATS unreachable', () => {
  it('one-shot commands fail, naming the URL: kiln partitions, and kiln simulate in replay mode', () => {
    for (const args of [['partitions'], ['simulate', '--mode', 'replay', '--duration', '1m']]) {
      const r = kiln([...args, '--config', file]);
      expect(r.status, `kiln ${args.join(' ')}: ${r.error ? String(r.error) : r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`kiln ${args[0]}: cannot reach NATS at ${url}`);
    }
  });

  it('a service says once that it waits for NATS, and starts when NATS comes', async () => {
    aggregator = startProcess('kiln aggregator', process.execPath, [bin, 'aggregator', '--config', file], {
      KILN_METRICS_LISTEN: '127.0.0.1:0',
    });
    const proc = aggregator;
    const waiting = () => proc.lines().filter((l) => l.includes(`waiting for NATS at ${url}`)).length;
    await waitUntil('"waiting for NATS" in the log', () => waiting() > 0, 30_000, 20).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${proc.tail()}`);
    });
    // Attempts go on every half second; the notice is not repeated for each.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(waiting()).toBe(1);
    expect(proc.alive()).toBe(true);
    server = await startNatsServer({ dir: join(dir.path, 'nats'), port });
    await waitUntil(
      'aggregator started',
      () => proc.lines().some((l) => l.includes('aggregator started')),
      30_000,
      20,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${proc.tail()}`);
    });
    expect(await proc.stop(15_000)).toBe(0);
  }, 90_000);
});
