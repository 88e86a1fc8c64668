import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startNatsServer } from '@kiln/nats';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { encodeMessage, gpuSubject } from '@kiln/wire';
import { Spool } from '../src/publish/spool.js';
import { startAgent } from '../src/index.js';
import { adminConnection, agentUser, authorization, quiet, readSubject, testConfig } from './support.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('starts without NATS, and a restarted agent resumes its spool and its sequence, fresh ticks behind the replay', async () => {
  // Reserve a port and a store, then leave nothing listening there.
  const auth = authorization('c1', 'r2', ['r2-t01']);
  const reserved = await startTestNatsServer(auth);
  cleanup.push(() => reserved.dispose());
  await reserved.stop();
  const dir = await tempDir('kiln-agent-restart-');
  cleanup.push(() => dir.remove());
  const config = testConfig({
    nats: { url: reserved.url, ...agentUser('r2-t01') },
    agent: {
      cluster: 'c1',
      rack: 'r2',
      host: 'r2-t01',
      source: 'sim',
      interval_ms: 100,
      spool_dir: join(dir.path, 'agent'),
    },
  });

  const offline = await startAgent(config, { log: quiet });
  await waitUntil('ticks spooled', () => offline.stats().spooled >= 10, 20_000);
  await offline.stop();
  const first = offline.stats();
  expect(first).toMatchObject({ published: 0, connected: false });
  expect(first.spoolPending).toBe(first.messages);
  // A long outage's worth more in the spool (the replay then takes seconds, while fresh ticks come every 100 ms), and
  // the sequence moved past it.
  const backlog = 20_000;
  const spool = new Spool({
    dir: join(dir.path, 'agent', 'spool'),
    maxBytes: 256 << 20,
    maxAgeMs: 86_400_000,
    log: quiet,
  });
  const subject = gpuSubject('c1', 'r2', 'r2-t01');
  for (let i = 0; i < backlog; i++) {
    const seq = first.nextSeq + i;
    const ts = Date.now() - 60_000 + i;
    const body = encodeMessage({
      v: 1,
      cluster: 'c1',
      rack: 'r2',
      host: 'r2-t01',
      seq,
      ts,
      gpus: [{ gpu: 0, uuid: 'GPU-00000000-0000-0000-0000-000000000001', temp_c: 60 }],
    });
    spool.append({ subject, msgId: `r2-t01:${seq}`, ts, body });
  }
  spool.close();
  writeFileSync(join(dir.path, 'agent', 'seq'), `${first.nextSeq + backlog}\n`);

  const server = await startNatsServer({ dir: reserved.dir, port: reserved.port, extraConfig: auth });
  cleanup.push(() => server.stop());
  const admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());
  const online = await startAgent(config, { log: quiet });
  expect(online.stats().nextSeq).toBe(first.nextSeq + backlog);
  await waitUntil(
    'spool replayed and live samples',
    () =>
      online.stats().spoolPending === 0 &&
      online.stats().replayed >= first.messages + backlog &&
      online.stats().published >= 5,
    60_000,
  );
  await online.stop();

  const stored = await readSubject(admin.jsm, gpuSubject('c1', 'r2', 'r2-t01'));
  const seqs = stored.map((s) => s.message.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs.length).toBe(first.messages + backlog + online.stats().messages);
  const sorted = [...seqs].sort((a, b) => a - b);
  expect(sorted.at(-1)! - sorted[0]! + 1).toBe(seqs.length);
  // The stream holds them in the order they were taken: the spool's, then the fresh ticks that came during its replay.
  expect(seqs.findIndex((s, i) => s !== sorted[i])).toBe(-1);
  expect(online.stats().messages).toBeGreaterThan(5);
});
