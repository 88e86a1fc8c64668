import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@kiln/log';
import { tempDir } from '@kiln/testkit';
import { Sequence } from '../src/publish/sequence.js';
import { Spool, type SpoolRecord } from '../src/publish/spool.js';

const MiB = 1 << 20;
const log = silentLogger();
const dirs: { remove(): Promise<void> }[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

async function freshDir(): Promise<string> {
  const d = await tempDir('kiln-spool-');
  dirs.push(d);
  return d.path;
}

const NOW = 1_764_151_200_000;
function record(i: number, bodyBytes = 100, ts = NOW + i): SpoolRecord {
  return {
    subject: 'kiln.v1.gpu.c1.r1.h1',
    msgId: `h1:${i}`,
    ts,
    body: `{"seq":${i},"pad":"${'x'.repeat(bodyBytes)}"}`,
  };
}

/** Reads everything pending, committing after each batch; returns the seqs in the order read. */
async function drain(spool: Spool, batch = 300): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const records = await spool.read(batch);
    if (records.length === 0) return seen;
    for (const r of records) seen.push(Number(r.msgId.slice(3)));
    spool.commit(records.at(-1)!);
  }
}

describe('spool', () => {
  it('gives records back in order across segments and deletes what was delivered', async () => {
    const dir = await freshDir();
    const spool = new Spool({ dir, maxBytes: MiB, maxAgeMs: 3_600_000, log, now: () => NOW });
    for (let i = 0; i < 2000; i++) spool.append(record(i));
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(2);
    expect(spool.pending).toBe(2000);
    expect(await drain(spool)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(spool.pending).toBe(0);
    expect(spool.bytes).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg'))).toEqual([]);
    // Appends after a drain start a new segment and are read as usual.
    spool.append(record(2000));
    expect(await drain(spool)).toEqual([2000]);
    spool.close();
  });

  it('when full, drops the oldest samples, counted, and keeps the newest', async () => {
    const dir = await freshDir();
    const spool = new Spool({ dir, maxBytes: MiB, maxAgeMs: 3_600_000, log, now: () => NOW });
    for (let i = 0; i < 300; i++) spool.append(record(i, 10_000));
    expect(spool.bytes).toBeLessThanOrEqual(MiB);
    const { droppedFull, appended } = spool.counters;
    expect(droppedFull).toBeGreaterThan(0);
    expect(spool.pending + droppedFull).toBe(appended);
    const seen = await drain(spool);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => 300 - seen.length + i));
    spool.close();
  });

  it('drops samples older than the age bound instead of sending them', async () => {
    const dir = await freshDir();
    let now = NOW;
    const spool = new Spool({ dir, maxBytes: MiB, maxAgeMs: 3_600_000, log, now: () => now });
    for (let i = 0; i < 10; i++) spool.append(record(i, 100, NOW - 2 * 3_600_000 + i));
    for (let i = 10; i < 15; i++) spool.append(record(i, 100, NOW + i));
    expect(await drain(spool)).toEqual([10, 11, 12, 13, 14]);
    expect(spool.counters.droppedAge).toBe(10);
    // Whole segments past the bound go when the next sample is appended.
    spool.append(record(15));
    now = NOW + 3 * 3_600_000;
    spool.append(record(16, 100, now));
    expect(spool.counters.droppedAge).toBe(11);
    expect(await drain(spool)).toEqual([16]);
    spool.close();
  });

  it('resumes at its cursor after a restart, and cuts a torn last line', async () => {
    const dir = await freshDir();
    const first = new Spool({ dir, maxBytes: MiB, maxAgeMs: 3_600_000, log, now: () => NOW });
    for (let i = 0; i < 100; i++) first.append(record(i));
    const batch = await first.read(40);
    first.commit(batch[29]!);
    first.close();
    // A crash in the middle of a write leaves half a line.
    const segment = readdirSync(dir)
      .filter((f) => f.endsWith('.seg'))
      .at(-1)!;
    appendFileSync(join(dir, segment), `${NOW} kiln.v1.gpu.c1.r1.h1 h1:100 {"seq":10`);

    const second = new Spool({ dir, maxBytes: MiB, maxAgeMs: 3_600_000, log, now: () => NOW });
    expect(second.pending).toBe(70);
    second.append(record(100));
    expect(await drain(second)).toEqual(Array.from({ length: 71 }, (_, i) => 30 + i));
    second.close();
  });
});

describe('sequence', () => {
  it('never hands out a number twice, across clean stops and crashes', async () => {
    const dir = await freshDir();
    const a = new Sequence(dir, log, 5000);
    expect([a.next(), a.next(), a.next()]).toEqual([5000, 5001, 5002]);
    a.close();
    const b = new Sequence(dir, log, 1);
    expect(b.next()).toBe(5003);
    // b "crashes" (no close): the next run starts above everything b may have used.
    const c = new Sequence(dir, log);
    const next = c.next();
    expect(next).toBeGreaterThan(5003);
    expect(next).toBeLessThanOrEqual(5003 + 1000);
  });

  it('starts a fresh host at the clock, above any earlier installation', async () => {
    const dir = await freshDir();
    expect(new Sequence(dir, log, 1_764_151_200_000).next()).toBe(1_764_151_200_000);
  });
});
