import { describe, expect, it } from 'vitest';
import { METRIC_COUNT, METRIC_ID } from '@kiln/wire';
import { GpuRegistry, WindowCore, type ClosedWindow } from '../src/index.js';

const TEMP = METRIC_ID.temp_c;

interface Closed {
  window: number;
  gpuId: number;
  startMs: number;
  samples: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

function collect(windowsMs: number[], latenessMs: number) {
  const closed: Closed[] = [];
  const core = new WindowCore({
    windowsMs,
    allowedLatenessMs: latenessMs,
    initialGpus: 16,
    onClose: (w: ClosedWindow) =>
      closed.push({
        window: w.window,
        gpuId: w.gpuId,
        startMs: w.startMs,
        samples: w.samples,
        count: w.count[w.offset + TEMP]!,
        sum: w.sum[w.offset + TEMP]!,
        min: w.min[w.offset + TEMP]!,
        max: w.max[w.offset + TEMP]!,
        last: w.last[w.offset + TEMP]!,
      }),
  });
  const row = new Float64Array(METRIC_COUNT).fill(NaN);
  // Event time is the newest sample's, as EventClock has it for a partition of one host.
  const add = (gpu: number, ts: number, temp: number): boolean => {
    row[TEMP] = temp;
    core.advanceTo(ts);
    return core.add(gpu, ts, row, 0);
  };
  return { core, closed, add };
}

/** Seeded PRNG (mulberry32) so the property test is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WindowCore', () => {
  it('closes a 10 s window once the watermark passes its end, with exact stats', () => {
    const { closed, add } = collect([10_000], 5_000);
    for (let s = 0; s < 10; s++) add(0, 1_000_000 + s * 1000, 60 + s);
    add(0, 1_014_000, 99); // watermark 1_009_000: first window [1_000_000, 1_010_000) still open
    expect(closed).toHaveLength(0);
    add(0, 1_015_000, 99); // watermark 1_010_000 = end: closed as the watermark passes, no call needed
    expect(closed).toHaveLength(1);
    expect(closed[0]).toEqual({
      window: 0,
      gpuId: 0,
      startMs: 1_000_000,
      samples: 10,
      count: 10,
      sum: 645,
      min: 60,
      max: 69,
      last: 69,
    });
  });

  it('keeps samples within the lateness and counts later ones as late', () => {
    const { core, closed, add } = collect([10_000], 5_000);
    add(0, 1_000_000, 50);
    add(0, 1_012_000, 70); // watermark 1_007_000
    expect(add(0, 1_003_000, 40)).toBe(true); // out of order but inside lateness
    add(0, 1_016_000, 70);
    core.closeReady();
    expect(closed[0]).toMatchObject({ startMs: 1_000_000, count: 2, sum: 90, last: 40 });
    expect(add(0, 1_004_000, 10)).toBe(false);
    expect(core.late).toBe(1);
  });

  it('advances by wall clock so the last windows of a quiet partition close', () => {
    const { core, closed, add } = collect([10_000, 60_000], 5_000);
    add(3, 1_000_000, 50);
    expect(core.closeReady()).toBe(0);
    core.advanceTo(1_000_000 + 70_000);
    expect(closed.map((c) => c.window).sort()).toEqual([0, 1]);
  });

  it('equals a naive reference on shuffled, multi-GPU streams', () => {
    const rand = prng(42);
    const lateness = 5_000;
    const { core, closed, add } = collect([10_000, 60_000], lateness);
    const events: { gpu: number; ts: number; v: number }[] = [];
    for (let t = 0; t < 600; t++)
      for (let g = 0; g < 5; g++)
        events.push({ gpu: g, ts: 2_000_000_000 + t * 1000 + g, v: Math.round(rand() * 1000) / 10 });
    // Disorder bounded by the lateness: order by event time plus a random delay under 4 s.
    const delayed = events.map((e) => ({ e, at: e.ts + rand() * (lateness - 1000) })).sort((a, b) => a.at - b.at);
    events.splice(0, events.length, ...delayed.map((d) => d.e));
    const accepted: typeof events = [];
    for (const e of events) if (add(e.gpu, e.ts, e.v)) accepted.push(e);
    core.advanceTo(2_000_000_000 + 10_000_000);
    expect(core.late).toBe(0);
    for (const [w, len] of [10_000, 60_000].entries()) {
      const ref = new Map<string, { n: number; sum: number; min: number; max: number }>();
      for (const e of accepted) {
        const key = `${e.gpu}:${Math.floor(e.ts / len) * len}`;
        const r = ref.get(key) ?? { n: 0, sum: 0, min: Infinity, max: -Infinity };
        r.n++;
        r.sum += e.v;
        r.min = Math.min(r.min, e.v);
        r.max = Math.max(r.max, e.v);
        ref.set(key, r);
      }
      const got = closed.filter((c) => c.window === w);
      expect(got.length).toBe(ref.size);
      for (const c of got) {
        const r = ref.get(`${c.gpuId}:${c.startMs}`)!;
        expect(c.count).toBe(r.n);
        expect(c.sum).toBeCloseTo(r.sum, 6);
        // min and max are kept as Float32: exact to 7 significant digits.
        expect(c.min).toBe(Math.fround(r.min));
        expect(c.max).toBe(Math.fround(r.max));
      }
    }
  });

  it('gives dense ids to GPUs and grows state past the initial capacity', () => {
    const reg = new GpuRegistry();
    const { core, closed, add } = collect([10_000], 0);
    for (let h = 0; h < 30; h++) for (let g = 0; g < 4; g++) add(reg.id('c', 'r1', `h${h}`, g), 1_000, h * 4 + g);
    expect(reg.size).toBe(120);
    expect(reg.id('c', 'r1', 'h7', 2)).toBe(30);
    core.advanceTo(20_000);
    expect(closed.length).toBe(120);
    expect(closed.find((c) => c.gpuId === 119)!.sum).toBe(119);
  });
});

describe('WindowCore, ahead of event time', () => {
  it('windows a sample up to the ring of open windows ahead of event time, and counts one further ahead as early', () => {
    const { core, closed } = collect([10_000], 5_000);
    const row = new Float64Array(METRIC_COUNT).fill(NaN);
    row[TEMP] = 70;
    core.advanceTo(1_020_000); // watermark 1_015_000: the ring (2 slots) holds the windows from 1_010_000 and 1_020_000
    expect(core.add(0, 1_029_999, row, 0)).toBe(true);
    expect(core.add(1, 1_030_000, row, 0)).toBe(false);
    expect(core.add(1, 1_260_000, row, 0)).toBe(false); // an agent four minutes ahead
    expect(core.early).toBe(2);
    expect(core.late).toBe(0);
    core.advanceTo(1_040_000);
    expect(closed).toEqual([expect.objectContaining({ gpuId: 0, startMs: 1_020_000, count: 1 })]);
  });
});
