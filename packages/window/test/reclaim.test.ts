import { describe, expect, it } from 'vitest';
import { METRIC_COUNT, METRIC_ID } from '@kiln/wire';
import { GpuRegistry, WindowCore, type ClosedWindow, type GpuStateOwner } from '../src/index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 15);

/** Calls reclaimIdle every `stepMs` of event time from `fromMs` to `toMs`, touching `alive` before each; the total. */
function runClock(registry: GpuRegistry, fromMs: number, toMs: number, stepMs: number, alive: () => void): number {
  let forgotten = 0;
  for (let t = fromMs; t <= toMs; t += stepMs) {
    alive();
    forgotten += registry.reclaimIdle(t);
  }
  return forgotten;
}

describe('GpuRegistry.reclaimIdle', () => {
  it('forgets a GPU silent past the horizon, gives its id to the next new GPU, and keeps those that report', () => {
    const registry = new GpuRegistry({ forgetAfterMs: HOUR });
    const forgot: { id: number; place: string }[] = [];
    registry.addStateOwner({
      forgetGpu: (id) =>
        forgot.push({
          id,
          place: `${registry.clusterOf(id)}/${registry.rackOf(id)}/${registry.hostOf(id)}/${registry.gpuIndexOf(id)}`,
        }),
    });
    const staying = (): void => {
      for (let g = 0; g < 4; g++) registry.id('c', 'r1', 'h1', g);
      registry.id('c', 'r1', 'h2', 0);
    };
    staying();
    const leaving = registry.id('c', 'r1', 'h2', 3);
    expect(registry.size).toBe(6);
    // Less than the horizon after h2/3's last sample: nothing goes.
    expect(runClock(registry, T0, T0 + HOUR - 120_000, 30_000, staying)).toBe(0);
    // Within 1/32 of the horizon past it, h2/3 goes; the others stay however long the clock runs.
    expect(runClock(registry, T0 + HOUR - 90_000, T0 + HOUR + HOUR / 32, 30_000, staying)).toBe(1);
    expect(runClock(registry, T0 + HOUR + HOUR / 32 + 30_000, T0 + 5 * HOUR, 30_000, staying)).toBe(0);
    // Owners were told while the registry still knew where the GPU was.
    expect(forgot).toEqual([{ id: leaving, place: 'c/r1/h2/3' }]);
    expect(registry.size).toBe(5);
    expect(registry.isTracked(leaving)).toBe(false);
    // The next new GPU takes the freed id, wherever it is; the ids do not grow.
    const span = registry.idSpan;
    expect(registry.id('c', 'r2', 'h9', 1)).toBe(leaving);
    expect(registry.idSpan).toBe(span);
    expect(registry.hostOf(leaving)).toBe('h9');
    // The forgotten GPU coming back is a new GPU to the registry.
    expect(registry.id('c', 'r1', 'h2', 3)).toBe(span);
  });

  it('frees the oldest freed id first, and a host once its last GPU is gone', () => {
    const registry = new GpuRegistry({ forgetAfterMs: HOUR });
    const a = registry.id('c', 'r1', 'ha', 0);
    const b = registry.id('c', 'r1', 'hb', 0);
    const keep = registry.id('c', 'r1', 'hc', 0);
    const alive = (): void => void registry.id('c', 'r1', 'hc', 0);
    runClock(registry, T0, T0 + HOUR / 2, 60_000, () => {
      alive();
      registry.id('c', 'r1', 'hb', 0); // hb reports half an hour longer than ha
    });
    expect(runClock(registry, T0 + HOUR / 2 + 60_000, T0 + 3 * HOUR, 60_000, alive)).toBe(2);
    expect([registry.id('c', 'r1', 'new1', 0), registry.id('c', 'r1', 'new2', 0)]).toEqual([a, b]);
    expect(registry.isTracked(keep)).toBe(true);
    // ha's host was forgotten with its only GPU: the name maps to nothing until it reports again.
    expect(registry.id('c', 'r1', 'ha', 0)).toBe(3);
    expect(registry.hostOf(3)).toBe('ha');
  });

  it('forgets nothing while the partition hears nothing, and allocates nothing then', () => {
    const registry = new GpuRegistry({ forgetAfterMs: HOUR });
    for (let g = 0; g < 4; g++) registry.id('c', 'r1', 'h1', g);
    registry.reclaimIdle(T0);
    // The partition's event time is its newest sample's: it stands still, however long the wall clock runs.
    for (let i = 0; i < 1000; i++) expect(registry.reclaimIdle(T0 + 1000)).toBe(0);
    expect(registry.reclaimIdle(NaN) + registry.reclaimIdle(-Infinity)).toBe(0);
    expect(registry.size).toBe(4);
  });

  it('rejects a horizon that is not a positive duration', () => {
    expect(() => new GpuRegistry({ forgetAfterMs: 0 })).toThrow(/positive/);
    expect(() => new GpuRegistry({ forgetAfterMs: NaN })).toThrow(/positive/);
  });
});

describe('state owners forget a GPU so that its id starts clean', () => {
  const TEMP = METRIC_ID.temp_c;
  const ENERGY = METRIC_ID.energy_j;

  it('WindowCore: the next holder of the id inherits no open window and no counter baseline', () => {
    const closed: { gpuId: number; samples: number; tempSum: number; energyCount: number; energySum: number }[] = [];
    const core = new WindowCore({
      windowsMs: [10_000, 60_000],
      allowedLatenessMs: 5_000,
      onClose: (w: ClosedWindow) => {
        if (w.window === 0)
          closed.push({
            gpuId: w.gpuId,
            samples: w.samples,
            tempSum: w.sum[w.offset + w.column[TEMP]!]!,
            energyCount: w.count[w.offset + w.column[ENERGY]!]!,
            energySum: w.sum[w.offset + w.column[ENERGY]!]!,
          });
      },
    });
    const row = new Float64Array(METRIC_COUNT).fill(NaN);
    const add = (gpu: number, ts: number, temp: number, energy: number): void => {
      row[TEMP] = temp;
      row[ENERGY] = energy;
      core.advanceTo(ts);
      core.add(gpu, ts, row, 0);
    };
    // GPU 0 has an open window and an energy counter at 5,000 J when its id is reclaimed.
    add(0, T0 + 1_000, 90, 4_000);
    add(0, T0 + 2_000, 90, 5_000);
    core.forgetGpu(0);
    // Its next holder, in the same window: only its own samples, and its first energy reading is a baseline.
    add(0, T0 + 3_000, 40, 9_000);
    add(0, T0 + 4_000, 40, 9_100);
    core.advanceTo(T0 + 30_000);
    expect(closed).toEqual([{ gpuId: 0, samples: 2, tempSum: 80, energyCount: 1, energySum: 100 }]);
  });

  it('are all told, through the registry, when a GPU goes', () => {
    const registry = new GpuRegistry({ forgetAfterMs: 60_000 });
    const told: string[] = [];
    const owner = (name: string): GpuStateOwner => ({ forgetGpu: (id) => told.push(`${name}:${id}`) });
    registry.addStateOwner(owner('latest'));
    registry.addStateOwner(owner('windows'));
    registry.id('c', 'r', 'h', 2);
    registry.reclaimIdle(T0);
    registry.reclaimIdle(T0 + 61_000);
    expect(told).toEqual(['latest:0', 'windows:0']);
  });
});

describe('WindowCore with a subset of the metrics', () => {
  it('keeps the same statistics of the metrics it windows as a core that windows them all', () => {
    const metrics = [METRIC_ID.power_w, METRIC_ID.temp_c, METRIC_ID.energy_j, METRIC_ID.clock_events];
    const all: number[][] = [];
    const some: number[][] = [];
    const collect = (into: number[][]) => (w: ClosedWindow) => {
      for (const m of metrics) {
        const i = w.offset + w.column[m]!;
        into.push([w.window, w.gpuId, w.startMs, m, w.count[i]!, w.sum[i]!, w.min[i]!, w.max[i]!, w.last[i]!]);
      }
    };
    const full = new WindowCore({ windowsMs: [10_000, 60_000], allowedLatenessMs: 5_000, onClose: collect(all) });
    const subset = new WindowCore({
      windowsMs: [10_000, 60_000],
      allowedLatenessMs: 5_000,
      metrics,
      onClose: collect(some),
    });
    const row = new Float64Array(METRIC_COUNT);
    for (let t = 0; t < 300; t++) {
      for (let g = 0; g < 3; g++) {
        for (let m = 0; m < METRIC_COUNT; m++) row[m] = (t * 7 + g * 13 + m) % 50;
        row[METRIC_ID.energy_j] = t * 1000 + g; // a counter: increases are summed
        if (t % 11 === 0) row[METRIC_ID.temp_c] = NaN; // absent now and then
        full.advanceTo(T0 + t * 1000);
        subset.advanceTo(T0 + t * 1000);
        full.add(g, T0 + t * 1000, row, 0);
        subset.add(g, T0 + t * 1000, row, 0);
      }
    }
    full.advanceTo(T0 + 400_000);
    subset.advanceTo(T0 + 400_000);
    expect(some.length).toBeGreaterThan(100);
    expect(some).toEqual(all);
    expect(subset.bytesPerGpu).toBeLessThan(full.bytesPerGpu / 4);
  });

  it('rejects metric ids that are unknown or listed twice', () => {
    const make = (metrics: number[]) =>
      new WindowCore({ windowsMs: [10_000], allowedLatenessMs: 0, metrics, onClose: () => {} });
    expect(() => make([METRIC_COUNT])).toThrow(/no metric/);
    expect(() => make([1, 1])).toThrow(/twice/);
    expect(() => make([])).toThrow(/at least one/);
  });
});
