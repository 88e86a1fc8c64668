import { describe, expect, it } from 'vitest';
import { DecodeStats, DEFAULT_DECODE_LIMITS, decodeMessage, encodeMessage, gpuSubject, SampleBatch } from '@kiln/wire';
import { parseFaults } from '../src/index.js';
import { max, min, run, series } from './helpers.js';

describe('a simulated GB300 rack reports its NVLink, fabric, thermal margin and module power', () => {
  const messages = run({ racks: 2, jobs: { restartMeanMs: Infinity } }, 30);
  const readings = messages.flatMap((m) => m.gpus.map((r) => ({ rack: m.rack, r })));

  it('as a healthy rack in a compute domain: 18 links up, the fabric completed with the rack’s clique, margin to spare', () => {
    expect(readings).toHaveLength(2 * 72 * 30);
    expect(new Set(readings.map(({ r }) => r.nvlink_links_inactive))).toEqual(new Set([0]));
    expect(new Set(readings.map(({ r }) => r.fabric_state))).toEqual(new Set([3]));
    expect(new Set(readings.map(({ r }) => r.fabric_status))).toEqual(new Set([0]));
    expect(new Set(readings.map(({ rack, r }) => `${rack}:${r.fabric_clique}`))).toEqual(
      new Set(['r0001:1', 'r0002:2']),
    );
    for (const { r } of readings) expect(r.temp_margin_c).toBe(r.slowdown_temp_c! - r.temp_c!);
    expect(min(readings.map(({ r }) => r.temp_margin_c!))).toBeGreaterThan(5);
  });

  it('with module power the two GPUs of a module and its Grace CPU draw, under the 2,900 W limit', () => {
    for (const m of messages) {
      for (const pair of [m.gpus.slice(0, 2), m.gpus.slice(2, 4)]) {
        const [a, b] = pair;
        expect(a!.module_power_w).toBe(b!.module_power_w);
        const grace = a!.module_power_w! - a!.power_w! - b!.power_w!;
        expect(grace).toBeGreaterThanOrEqual(179.9);
        expect(grace).toBeLessThanOrEqual(260.1);
      }
    }
    expect(new Set(readings.map(({ r }) => r.module_power_limit_w))).toEqual(new Set([2900]));
    expect(max(readings.map(({ r }) => r.module_power_w!))).toBeLessThan(2900);
  });
});

describe('Grace-Blackwell faults', () => {
  const faults = parseFaults([
    'nvlink_down=4:r0001-t05/1@10s+10s',
    'fabric_stuck:r0001-t06@10s',
    'ecc_storm=50:r0001-t07/0@10s',
    'idle_rack:r0002@0s',
  ]);
  const messages = run({ racks: 2, jobs: { restartMeanMs: Infinity }, faults }, 40);

  it('takes links down on the GPU for the fault’s window only', () => {
    const down = series(messages, 'r0001-t05', 1).filter((x) => x.r.nvlink_links_inactive !== 0);
    expect(down.map((x) => x.s)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(down.every((x) => x.r.nvlink_links_inactive === 4)).toBe(true);
    expect(series(messages, 'r0001-t05', 0).every((x) => x.r.nvlink_links_inactive === 0)).toBe(true);
  });

  it('holds a stuck fabric in progress without a clique while its job runs', () => {
    const stuck = series(messages, 'r0001-t06', 3).filter((x) => x.s >= 10);
    expect(stuck.every((x) => x.r.fabric_state === 2 && x.r.fabric_clique === 0 && x.r.job !== undefined)).toBe(true);
  });

  it('raises corrected ECC errors at the storm’s rate', () => {
    const sbe = series(messages, 'r0001-t07', 0);
    expect(sbe.at(-1)!.r.ecc_sbe_vol! - sbe.find((x) => x.s === 10)!.r.ecc_sbe_vol!).toBeGreaterThanOrEqual(49 * 29);
  });

  it('leaves an idle rack without jobs or a compute domain: idle GPUs, fabric in progress, no clique', () => {
    const idle = messages.filter((m) => m.rack === 'r0002');
    // Through the strict wire-v1 decoder, as the aggregator reads them: no job is no field, not an empty one.
    const batch = new SampleBatch(8);
    const stats = new DecodeStats();
    for (const m of idle) {
      batch.clear();
      const result = decodeMessage(
        gpuSubject(m.cluster, m.rack, m.host),
        new TextEncoder().encode(encodeMessage(m)),
        m.ts,
        DEFAULT_DECODE_LIMITS,
        batch,
        stats,
        0,
      );
      expect(result.ok).toBe(true);
    }
    const gpus = idle.flatMap((m) => m.gpus);
    expect(gpus).toHaveLength(72 * 40);
    expect(
      gpus.every((r) => r.job === undefined && r.util_pct === 0 && r.fabric_state === 2 && r.fabric_clique === 0),
    ).toBe(true);
  });
});
