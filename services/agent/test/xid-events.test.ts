import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { afterAll, expect, it } from 'vitest';
import { EVENT_STREAM } from '@kiln/nats';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import type { XidEvent } from '@kiln/wire';
import { startAgent } from '../src/index.js';
import {
  adminConnection,
  agentUser,
  authorization,
  FAKE_NVIDIA_SMI,
  gb300Gpus,
  quiet,
  testConfig,
  writeSmiState,
} from './support.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/** The kernel's clock for kmsg records: microseconds since boot, now. */
const bootUsNow = (): number => Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e6);
const kmsg = (seq: number, bootUs: number, text: string): string => `4,${seq},${bootUs},-;${text}\n`;

async function storedEvents(jsm: JetStreamManager): Promise<{ msgId: string; event: XidEvent }[]> {
  const { state } = await jsm.streams.info(EVENT_STREAM);
  const out: { msgId: string; event: XidEvent }[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(EVENT_STREAM, { seq });
    if (m) out.push({ msgId: m.header.get('Nats-Msg-Id'), event: m.json<XidEvent>() });
  }
  return out;
}

it('publishes each NVRM Xid of the kernel log once, mapped to its GPU, and a restart resumes after the last one', async () => {
  const server = await startTestNatsServer(authorization('c1', 'r7', ['r7-t03']));
  cleanup.push(() => server.dispose());
  const dir = await tempDir('kiln-agent-xid-');
  cleanup.push(() => dir.remove());
  const admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());
  const smiState = join(dir.path, 'smi.json');
  writeSmiState(smiState, { gpus: gb300Gpus(4) });
  process.env.FAKE_NVIDIA_SMI_STATE = smiState;
  const log = join(dir.path, 'kmsg');
  // Logged before the agent was ever started: not an event of this agent.
  writeFileSync(
    log,
    kmsg(100, bootUsNow() - 60_000_000, 'NVRM: Xid (PCI:0008:01:00): 79, pid=1, name=old, GPU has fallen off the bus.'),
  );
  const config = testConfig({
    nats: { url: server.url, ...agentUser('r7-t03') },
    agent: {
      cluster: 'c1',
      rack: 'r7',
      host: 'r7-t03',
      nvidia_smi: FAKE_NVIDIA_SMI,
      interval_ms: 500,
      spool_dir: join(dir.path, 'agent'),
      xid_events: { kmsg: log, journal_command: [] },
    },
  });
  const first = await startAgent(config, { log: quiet });
  cleanup.push(() => first.stop());
  await waitUntil('connected', () => first.stats().connected, 20_000);
  appendFileSync(
    log,
    kmsg(101, bootUsNow(), 'NVRM: Xid (PCI:0008:01:00): 79, pid=1234, name=python, GPU has fallen off the bus.') +
      ' SUBSYSTEM=pci\n' +
      kmsg(102, bootUsNow(), 'nvidia-nvswitch0: SXid (PCI:0000:00:00.0): 11001, Fatal') +
      kmsg(103, bootUsNow(), 'NVRM: Xid (PCI:0008:01:00): 79, pid=1234, name=python, GPU has fallen off the bus.') +
      kmsg(
        104,
        bootUsNow(),
        "NVRM: Xid (PCI:000b:01:00): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error (DBE) has been detected.",
      ),
  );
  await waitUntil('three events', async () => (await storedEvents(admin.jsm)).length >= 3, 20_000);
  await first.stop();
  // Logged while the agent is down: published when it is back.
  appendFileSync(
    log,
    kmsg(
      105,
      bootUsNow(),
      'NVRM: Xid (PCI:0009:01:00): 119, pid=7, name=train, Timeout after 6s of waiting for RPC response from GPU1 GSP!',
    ),
  );

  // A restart reads the whole log again: only what follows the last published record is new.
  const second = await startAgent(config, { log: quiet });
  cleanup.push(() => second.stop());
  await waitUntil('connected again', () => second.stats().connected, 20_000);
  appendFileSync(
    log,
    kmsg(106, bootUsNow(), 'NVRM: Xid (PCI:0000:42:00): 94, pid=7, name=train, Contained ECC error.'),
  );
  await waitUntil('the fifth event', async () => (await storedEvents(admin.jsm)).length >= 5, 20_000);
  await waitUntil('nothing pending', () => second.stats().xidEvents?.publish.live === 2, 10_000);
  await second.stop();

  const stored = await storedEvents(admin.jsm);
  expect(stored.map((s) => s.event.code)).toEqual([79, 79, 48, 119, 94]);
  for (const { msgId, event } of stored) expect(msgId).toBe(`r7-t03:e${event.seq}`);
  const [a, b, c, , d] = stored.map((s) => s.event) as [XidEvent, XidEvent, XidEvent, XidEvent, XidEvent];
  expect(a).toMatchObject({
    cluster: 'c1',
    rack: 'r7',
    host: 'r7-t03',
    kind: 'xid',
    gpu: 0,
    uuid: gb300Gpus(4)[0]!.uuid,
    message: 'GPU has fallen off the bus.',
  });
  expect(b.seq).toBe(a.seq + 1);
  expect(c).toMatchObject({
    gpu: 3,
    uuid: gb300Gpus(4)[3]!.uuid,
    message: 'An uncorrectable double bit error (DBE) has been detected.',
  });
  // No GPU at that address: the event goes out without one.
  expect(d.gpu).toBeUndefined();
  expect(d.uuid).toBeUndefined();
  for (const e of stored) expect(Math.abs(e.event.ts - Date.now())).toBeLessThan(120_000);
}, 90_000);
