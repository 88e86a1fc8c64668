import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '@kiln/nats';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startAgent } from '../src/index.js';
import { adminConnection, agentUser, authorization, quiet, readSubject, testConfig } from './support.js';

const OUTAGE_MS = 15_000;
const INTERVAL_MS = 250;
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('keeps every tick of a 15 s NATS outage: the stream gets them all, in the order they were taken, without duplicates', async () => {
  const auth = authorization('c1', 'r7', ['r7-t03']);
  const first = await startTestNatsServer(auth);
  let server: NatsServerHandle = first;
  cleanup.push(
    () => first.dispose(),
    () => server.stop(),
  );
  const dir = await tempDir('kiln-agent-outage-');
  cleanup.push(() => dir.remove());
  let admin = await adminConnection(first.url);
  const agent = await startAgent(
    testConfig({
      nats: { url: first.url, ...agentUser('r7-t03') },
      agent: {
        cluster: 'c1',
        rack: 'r7',
        host: 'r7-t03',
        source: 'sim',
        interval_ms: INTERVAL_MS,
        spool_dir: join(dir.path, 'agent'),
        ack_timeout_ms: 2000,
      },
    }),
    { log: quiet },
  );
  cleanup.push(() => agent.stop());
  await waitUntil('live publishing', () => agent.stats().published >= 4, 20_000);
  await admin.nc.close();

  // The server goes away for 15 s, then comes back on the same port with the same store.
  await first.stop();
  const outageStart = Date.now();
  await sleep(OUTAGE_MS);
  const outageEnd = Date.now();
  // Ticks taken while it was away (a loaded machine may skip a few; contiguity below proves none is lost).
  expect(agent.stats().spoolPending).toBeGreaterThanOrEqual(40);
  server = await startNatsServer({ dir: first.dir, port: first.port, extraConfig: auth });
  admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());

  await waitUntil('the spool drained', () => agent.stats().spoolPending === 0 && agent.stats().replayed > 0, 30_000);
  const published = agent.stats().published;
  await waitUntil('fresh samples after the replay', () => agent.stats().published >= published + 2, 10_000);
  await agent.stop();

  const stored = await readSubject(admin.jsm, gpuSubject('c1', 'r7', 'r7-t03'));
  const seqs = stored.map((s) => s.message.seq);
  // No duplicates, no gaps: every tick from the first to the last is there once.
  expect(new Set(seqs).size).toBe(seqs.length);
  const sorted = [...seqs].sort((a, b) => a - b);
  expect(sorted.at(-1)! - sorted[0]! + 1).toBe(seqs.length);
  for (const s of stored) expect(s.msgId).toBe(`r7-t03:${s.message.seq}`);
  // The stream holds the ticks in the order they were taken: the outage's replayed before any fresh one.
  const duringOutage = stored.filter((s) => s.message.ts > outageStart + 1000 && s.message.ts < outageEnd);
  expect(duringOutage.length).toBeGreaterThanOrEqual(40);
  expect(seqs).toEqual(sorted);
  const stats = agent.stats();
  expect(stats.spoolDroppedFull + stats.spoolDroppedAge + stats.spoolDroppedCorrupt).toBe(0);
}, 90_000);
