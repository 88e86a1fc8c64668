import { describe, expect, it } from 'vitest';
import { Fleet } from '@kiln/simulator';
import { METRIC_COUNT, METRIC_ID, METRIC_NAMES } from '@kiln/wire';
import { GpuRegistry, WindowCore, type ClosedWindow } from '../src/index.js';

const ENERGY = METRIC_ID.energy_j;
const POWER = METRIC_ID.power_w;
const ECC = METRIC_ID.ecc_dbe_vol;

describe('counters in windows', () => {
  it('turn into increases, a counter that goes down having restarted (never a negative delta)', () => {
    const closed: { sum: number; count: number; last: number; max: number }[] = [];
    const core = new WindowCore({
      windowsMs: [10_000],
      allowedLatenessMs: 0,
      onClose: (w: ClosedWindow) =>
        closed.push({
          sum: w.sum[w.offset + ECC]!,
          count: w.count[w.offset + ECC]!,
          last: w.last[w.offset + ECC]!,
          max: w.max[w.offset + ECC]!,
        }),
    });
    const row = new Float64Array(METRIC_COUNT).fill(NaN);
    const feed = (ts: number, ecc: number): void => {
      row[ECC] = ecc;
      core.advanceTo(ts);
      core.add(0, ts, row, 0);
    };
    // 100 → 200 (+100) → 50 (driver reload: +50) → 150 (+100), then an out-of-order sample that must not count.
    feed(1_000, 100);
    feed(2_000, 200);
    feed(3_000, 50);
    feed(4_000, 150);
    feed(3_500, 10);
    core.advanceTo(20_000);
    expect(closed).toEqual([{ sum: 250, count: 3, last: 150, max: 200 }]);
    expect(core.counterResets).toBe(1);
  });

  it('give an average power from the energy counter that agrees with the power gauge', () => {
    const fleet = new Fleet({ cluster: 'c', racks: 1, seed: 5, startMs: 1_764_000_000_000 });
    const registry = new GpuRegistry();
    const errors: number[] = [];
    const core = new WindowCore({
      windowsMs: [10_000, 60_000],
      allowedLatenessMs: 5_000,
      onClose: (w) => {
        if (w.lengthMs !== 60_000 || w.count[w.offset + ENERGY]! < 59) return;
        const fromEnergy = w.sum[w.offset + ENERGY]! / w.count[w.offset + ENERGY]!; // J per 1 s interval = W
        const gauge = w.sum[w.offset + POWER]! / w.count[w.offset + POWER]!;
        errors.push(Math.abs(fromEnergy - gauge) / gauge);
      },
    });
    const row = new Float64Array(METRIC_COUNT);
    for (let t = 0; t < 6 * 60; t++) {
      for (const m of fleet.tickShared()) {
        for (const g of m.gpus) {
          METRIC_NAMES.forEach((name, i) => (row[i] = g[name] ?? NaN));
          core.advanceTo(m.ts);
          core.add(registry.id(m.cluster, m.rack, m.host, g.gpu), m.ts, row, 0);
        }
      }
    }
    core.advanceTo(fleet.nextTs + 120_000);
    expect(errors.length).toBeGreaterThan(72 * 4);
    expect(Math.max(...errors)).toBeLessThan(0.02);
  });
});
