import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startNatsServer } from '@kiln/nats';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startAgent } from '../src/index.js';
import { adminConnection, agentUser, authorization, quiet, readSubject, testConfig } from './support.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('starts without NATS, and a restarted agent resumes its spool and its sequence', async () => {
  // Reserve a port and a store, then leave nothing listening there.
  const auth = authorization('c1', 'r2', ['r2-t01']);
  const reserved = await startTestNatsServer(auth);
  cleanup.push(() => reserved.dispose());
  await reserved.stop();
  const dir = await tempDir('kiln-agent-restart-');
  cleanup.push(() => dir.remove());
  const config = testConfig({
    nats: { url: reserved.url, ...agentUser('r2-t01') },
    agent: { cluster: 'c1', rack: 'r2', host: 'r2-t01', source: 'sim', interval_ms: 100, spool_dir: join(dir.path, 'agent') },
  });

  const offline = await startAgent(config, { log: quiet });
  await waitUntil('ticks spooled', () => offline.stats().spooled >= 10, 20_000);
  await offline.stop();
  const first = offline.stats();
  expect(first).toMatchObject({ published: 0, connected: false });
  expect(first.spoolPending).toBe(first.messages);

  const server = await startNatsServer({ dir: reserved.dir, port: reserved.port, extraConfig: auth });
  cleanup.push(() => server.stop());
  const admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());
  const online = await startAgent(config, { log: quiet });
  expect(online.stats().nextSeq).toBe(first.nextSeq);
  await waitUntil('spool replayed and live samples', () => online.stats().spoolPending === 0 && online.stats().published >= 5, 20_000);
  await online.stop();

  const stored = await readSubject(admin.jsm, gpuSubject('c1', 'r2', 'r2-t01'));
  const seqs = stored.map((s) => s.message.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs.length).toBe(first.messages + online.stats().messages);
  const sorted = [...seqs].sort((a, b) => a - b);
  expect(sorted.at(-1)! - sorted[0]! + 1).toBe(seqs.length);
  // The first run's samples, replayed from the spool, kept their order.
  const replayed = seqs.filter((s) => s < first.nextSeq);
  expect(replayed).toEqual([...replayed].sort((a, b) => a - b));
  expect(replayed.length).toBe(first.messages);
});
