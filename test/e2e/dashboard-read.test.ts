import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestNatsServer, tempDir, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { freePort, spawnKiln, type KilnProcess } from '../support/kiln-process.js';

/** A read that would run for ever: hashing a trillion numbers. Only its limit or a kill ends it. */
const ENDLESS_READ = 'SELECT sum(sipHash64(number)) FROM numbers(1000000000000)';

/**
 * A heavy dashboard query against `kiln up` while a rack streams live: the anonymous read runs in the engine's read
 * lane, within its limits, and ingest goes on beside it.
 */
describe('a heavy dashboard query while a rack streams live', () => {
  let nats: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let up: KilnProcess;
  let chUrl = '';
  let metricsUrl = '';

  const storedSamples = async (): Promise<number> => {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const line = /^kiln_ingest_samples_stored_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    return line === null ? 0 : Number(line[1]);
  };
  const read = (sql: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${chUrl}/?query=${encodeURIComponent(sql)}`, init);
  /** The writer's statements run in the write lane: they look at the engine while the read lane is busy. */
  const runningEndlessReads = async (): Promise<number> => {
    const sql =
      "SELECT count() FROM system.processes WHERE query LIKE '%numbers(1000000000000)%' AND query NOT LIKE '%system.processes%'";
    const res = await fetch(`${chUrl}/`, {
      method: 'POST',
      body: sql,
      headers: { authorization: `Basic ${Buffer.from('writer:writer-secret').toString('base64')}` },
    });
    return Number((await res.text()).trim());
  };

  beforeAll(async () => {
    nats = await startTestNatsServer();
    dir = await tempDir('kiln-dashboard-read-');
    const chPort = await freePort();
    const metricsPort = await freePort();
    chUrl = `http://127.0.0.1:${chPort}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const configFile = join(dir.path, 'kiln.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        data_dir: join(dir.path, 'state'),
        nats: { url: nats.url },
        clickhouse: {
          listen: `127.0.0.1:${chPort}`,
          user: 'writer',
          password: 'writer-secret',
          read_limits: { max_execution_time_s: 60 },
        },
        alerter: { listen: `127.0.0.1:${await freePort()}` },
        // Two ticks a second and batches of a quarter second: the stored count moves about every half second while
        // the rack streams, so a 2 s gap means ingest was held back, not that a tick had not come yet.
        aggregator: { flush_ms: 250 },
        simulate: { enabled: true, cluster: 'read-ai1', racks: 1, mode: 'realtime', interval_ms: 500 },
      }),
    );
    up = spawnKiln('up', ['up', '--config', configFile], { KILN_METRICS_LISTEN: `127.0.0.1:${metricsPort}` });
    await waitUntil(
      'kiln up to store samples',
      async () => (await storedSamples().catch(() => 0)) > 0,
      120_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${up.output()}`);
    });
  }, 180_000);

  afterAll(async () => {
    await up?.stop();
    await nats?.dispose();
    await dir?.remove();
  });

  it('stores on beside a 60 s read, which its limit stops with ClickHouse’s error', async () => {
    const startedAt = Date.now();
    const heavy = read(ENDLESS_READ).then(async (res) => ({
      status: res.status,
      body: await res.text(),
      at: Date.now(),
    }));
    let done = false;
    void heavy.finally(() => (done = true));
    const advances: number[] = [startedAt];
    let last = await storedSamples();
    while (!done) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await storedSamples();
      if (now > last) advances.push(Date.now());
      last = now;
    }
    const answer = await heavy;
    advances.push(answer.at);
    const gaps = advances.slice(1).map((at, i) => at - advances[i]!);
    process.stdout.write(
      `dashboard read: ${answer.at - startedAt} ms, answered ${answer.status}; the stored count advanced ${advances.length - 2} times, longest gap ${Math.max(...gaps)} ms\n`,
    );
    expect(answer.at - startedAt).toBeGreaterThanOrEqual(59_000);
    expect(answer.status).toBe(408);
    expect(answer.body).toMatch(/TIMEOUT_EXCEEDED/);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2_000);
    expect(up.alive()).toBe(true);
  }, 120_000);

  it('stops a read whose client went away, so the reads behind it are answered', async () => {
    const client = new AbortController();
    const abandoned = read(ENDLESS_READ, { signal: client.signal }).catch(() => undefined);
    await waitUntil('the read to run', async () => (await runningEndlessReads()) === 1, 10_000, 100);
    client.abort();
    await abandoned;
    const askedAt = Date.now();
    const next = await read('SELECT 1');
    expect(await next.text()).toBe('1\n');
    // Answered long before the abandoned read's own limit (60 s) would have freed the read lane.
    expect(Date.now() - askedAt).toBeLessThan(30_000);
    await waitUntil(
      'the abandoned read to be gone from the engine',
      async () => (await runningEndlessReads()) === 0,
      10_000,
      100,
    );
  }, 60_000);
});
