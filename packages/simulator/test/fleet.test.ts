import { describe, expect, it } from 'vitest';
import {
  DecodeStats,
  DEFAULT_DECODE_LIMITS,
  decodeMessage,
  encodeMessage,
  gpuSubject,
  METRICS,
  SampleBatch,
  type WireMessage,
} from '@kiln/wire';
import { Fleet } from '../src/index.js';
import { run, T0 } from './helpers.js';

describe('Fleet topology', () => {
  const fleet = new Fleet({ cluster: 'test-ai1', racks: 2, seed: 3, startMs: T0 });
  const messages = fleet.tick();

  it('sends a rack as 18 messages of 4 GPUs: 72 GPUs', () => {
    const rack1 = messages.filter((m) => m.rack === 'r0001');
    expect(rack1).toHaveLength(18);
    expect(rack1.map((m) => m.host)).toEqual(
      Array.from({ length: 18 }, (_, t) => `r0001-t${String(t + 1).padStart(2, '0')}`),
    );
    for (const m of rack1) expect(m.gpus.map((g) => g.gpu)).toEqual([0, 1, 2, 3]);
    expect(messages.filter((m) => m.rack === 'r0002')).toHaveLength(18);
    expect(fleet.gpuCount).toBe(144);
    expect(fleet.hostCount).toBe(36);
  });

  it('gives every GPU a distinct uuid that stays the same across ticks and seeds', () => {
    const uuids = messages.flatMap((m) => m.gpus.map((g) => g.uuid));
    expect(new Set(uuids).size).toBe(144);
    for (const u of uuids) expect(u).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(fleet.tick().flatMap((m) => m.gpus.map((g) => g.uuid))).toEqual(uuids);
    const otherSeed = new Fleet({ cluster: 'test-ai1', racks: 2, seed: 99, startMs: T0 }).tick();
    expect(otherSeed.flatMap((m) => m.gpus.map((g) => g.uuid))).toEqual(uuids);
  });

  it('labels each rack with its training job', () => {
    expect(new Set(messages.filter((m) => m.rack === 'r0001').flatMap((m) => m.gpus.map((g) => g.job)))).toEqual(
      new Set(['train-r0001']),
    );
    const split = new Fleet({ cluster: 'c', racks: 1, seed: 1, startMs: T0, jobs: { perRack: 3 } }).tick();
    expect(split.map((m) => m.gpus[0]!.job)).toEqual([
      ...Array<string>(6).fill('train-r0001-1'),
      ...Array<string>(6).fill('train-r0001-2'),
      ...Array<string>(6).fill('train-r0001-3'),
    ]);
  });

  it('advances ts by intervalMs and seq by one per tick, seq derived from the start time', () => {
    const f = new Fleet({ cluster: 'c', racks: 1, seed: 1, startMs: T0, intervalMs: 500 });
    const a = f.tick();
    const b = f.tick();
    expect(a[0]!.ts).toBe(T0);
    expect(b[0]!.ts).toBe(T0 + 500);
    expect(a[0]!.seq).toBe(T0 / 500);
    expect(b.every((m) => m.seq === T0 / 500 + 1)).toBe(true);
    expect(f.lastTs).toBe(T0 + 500);
    expect(f.nextTs).toBe(T0 + 1000);
    // A later run of the same hosts starts above every seq the earlier one used.
    const later = new Fleet({ cluster: 'c', racks: 1, seed: 1, startMs: T0 + 1000, intervalMs: 500 }).tick();
    expect(later[0]!.seq).toBeGreaterThan(b[0]!.seq);
  });

  it('ticks at a given wall time, only forwards', () => {
    const f = new Fleet({ cluster: 'c', racks: 1, seed: 1, startMs: T0 });
    expect(f.tick(T0 + 1234)[0]!.ts).toBe(T0 + 1234);
    expect(() => f.tick(T0 + 1234)).toThrow(/not after the previous tick/);
  });

  it('rejects bad options with a clear error', () => {
    expect(() => new Fleet({ cluster: 'bad.name', racks: 1, seed: 1, startMs: T0 })).toThrow(/cluster/);
    expect(() => new Fleet({ cluster: 'c', racks: 0, seed: 1, startMs: T0 })).toThrow(/racks/);
    expect(() => new Fleet({ cluster: 'c', racks: 1, seed: 1.5, startMs: T0 })).toThrow(/seed/);
    expect(() => new Fleet({ cluster: 'c', racks: 1, seed: 1, startMs: T0, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => new Fleet({ cluster: 'c', racks: 1, seed: 1, startMs: T0, jobs: { perRack: 19 } })).toThrow(/perRack/);
    expect(
      () =>
        new Fleet({
          cluster: 'c',
          racks: 1,
          seed: 1,
          startMs: T0,
          faults: [{ kind: 'stall', host: 'r0002-t01', startMs: 0, endMs: 1 }],
        }),
    ).toThrow(/no host "r0002-t01"/);
    expect(
      () =>
        new Fleet({
          cluster: 'c',
          racks: 1,
          seed: 1,
          startMs: T0,
          faults: [{ kind: 'stall', host: 'r0001-t01', gpu: 4, startMs: 0, endMs: 1 }],
        }),
    ).toThrow(/GPUs 0\.\.3/);
    expect(
      () =>
        new Fleet({
          cluster: 'c',
          racks: 1,
          seed: 1,
          startMs: T0,
          faults: [{ kind: 'rack_cooling', rack: 'r0009', startMs: 0, endMs: 1 }],
        }),
    ).toThrow(/no rack "r0009"/);
    expect(
      () =>
        new Fleet({
          cluster: 'c',
          racks: 1,
          seed: 1,
          startMs: T0,
          faults: [{ kind: 'xid', host: 'r0001-t01', startMs: 10, endMs: 5 }],
        }),
    ).toThrow(/endMs/);
  });
});

describe('determinism', () => {
  const opts = {
    racks: 2,
    faults: [{ kind: 'overheat' as const, host: 'r0001-t02', gpu: 1, startMs: 5_000, endMs: 60_000 }],
  };

  it('gives identical messages for the same seed', () => {
    expect(run({ ...opts, seed: 11 }, 120)).toEqual(run({ ...opts, seed: 11 }, 120));
  });

  it('gives different messages for a different seed', () => {
    const a = run({ ...opts, seed: 11 }, 5).map((m) => encodeMessage(m));
    const b = run({ ...opts, seed: 12 }, 5).map((m) => encodeMessage(m));
    expect(a).toHaveLength(b.length);
    expect(a.filter((body, i) => body !== b[i])).toHaveLength(a.length);
  });

  it('gives the same readings through tickShared as through tick', () => {
    const fresh = new Fleet({ cluster: 'test-ai1', seed: 5, startMs: T0, ...opts });
    const shared = new Fleet({ cluster: 'test-ai1', seed: 5, startMs: T0, ...opts });
    for (let i = 0; i < 30; i++) {
      expect(shared.tickShared().map((m) => encodeMessage(m))).toEqual(fresh.tick().map((m) => encodeMessage(m)));
    }
  });
});

describe('wire validity', () => {
  // 15 minutes of a rack with every fault kind, so faulted readings are checked too.
  const messages = run(
    {
      racks: 2,
      seed: 21,
      jobs: { restartMeanMs: 300_000 },
      faults: [
        { kind: 'overheat', host: 'r0001-t01', gpu: 0, startMs: 60_000, endMs: 400_000 },
        { kind: 'stall', host: 'r0001-t02', startMs: 60_000, endMs: 120_000 },
        { kind: 'straggler', host: 'r0001-t03', gpu: 1, startMs: 0, endMs: Infinity },
        { kind: 'xid', host: 'r0001-t04', gpu: 2, startMs: 100_000, endMs: 200_000, code: 48 },
        { kind: 'ecc_dbe', host: 'r0001-t05', gpu: 3, startMs: 100_000, endMs: 200_000, count: 4 },
        { kind: 'gpu_missing', host: 'r0001-t06', gpu: 0, startMs: 100_000, endMs: 200_000 },
        { kind: 'offline', host: 'r0001-t07', startMs: 100_000, endMs: 200_000 },
        { kind: 'counter_reset', host: 'r0001-t08', startMs: 300_000, endMs: 305_000 },
        { kind: 'rack_cooling', rack: 'r0002', startMs: 60_000, endMs: 600_000, riseC: 30 },
      ],
    },
    900,
  );

  it('decodes every message with the strict wire-v1 decoder, no field dropped', () => {
    const batch = new SampleBatch(8);
    const stats = new DecodeStats();
    let rows = 0;
    for (const [i, m] of messages.entries()) {
      batch.clear();
      const result = decodeMessage(
        gpuSubject(m.cluster, m.rack, m.host),
        Buffer.from(encodeMessage(m)),
        m.ts,
        DEFAULT_DECODE_LIMITS,
        batch,
        stats,
        i,
      );
      if (!result.ok) throw new Error(`${m.host} seq ${m.seq}: ${result.reason}: ${result.detail}`);
      rows += result.rows;
    }
    expect(stats.accepted).toBe(messages.length);
    expect(stats.rows).toBe(rows);
    expect([...stats.fieldFaults].every((n) => n === 0)).toBe(true);
    expect(stats.unknownFields.size).toBe(0);
  });

  it('reports every catalog metric, in range, whole where the catalog says so', () => {
    const problems: string[] = [];
    for (const m of messages) {
      for (const g of m.gpus) {
        for (const def of METRICS) {
          const v = g[def.name];
          if (
            v === undefined ||
            !Number.isFinite(v) ||
            v < def.min ||
            v > def.max ||
            (def.integer && !Number.isInteger(v))
          ) {
            problems.push(`${m.host}/${g.gpu} ${def.name}=${v}`);
          }
        }
        if (g.fb_used_mib! + g.fb_free_mib! !== 288 * 1024 - 1024)
          problems.push(`${m.host}/${g.gpu} framebuffer total`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('keeps seq increasing per host and every body under 64 KiB', () => {
    const lastSeq = new Map<string, number>();
    let largest = 0;
    for (const m of messages as WireMessage[]) {
      expect(m.seq).toBeGreaterThan(lastSeq.get(m.host) ?? -1);
      lastSeq.set(m.host, m.seq);
      largest = Math.max(largest, Buffer.byteLength(encodeMessage(m)));
    }
    expect(largest).toBeLessThan(64 * 1024);
  });
});
