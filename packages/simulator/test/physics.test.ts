import { describe, expect, it } from 'vitest';
import { ClockEvent, THERMAL_CLOCK_EVENTS } from '@kiln/wire';
import { parseFault } from '../src/index.js';
import { byTick, max, mean, median, min, run, series } from './helpers.js';

const THROTTLE = THERMAL_CLOCK_EVENTS | ClockEvent.HW_SLOWDOWN | ClockEvent.SW_POWER_CAP;

describe('15 minutes of two healthy racks and one overheating GPU', () => {
  const HOT = { host: 'r0001-t03', gpu: 2 };
  const START_S = 120;
  const END_S = 420;
  const messages = run(
    {
      racks: 2,
      seed: 42,
      jobs: { restartMeanMs: Infinity },
      faults: [parseFault(`overheat:${HOT.host}/${HOT.gpu}@${START_S}s+${END_S - START_S}s`)],
    },
    15 * 60,
  );
  const hot = series(messages, HOT.host, HOT.gpu);
  const isHot = (host: string, gpu: number) => host === HOT.host && gpu === HOT.gpu;

  it('keeps healthy GPUs well below slowdown - 5 °C, steadily busy ones at 55–80 °C with HBM a few degrees hotter', () => {
    let hottest = -Infinity;
    const busyTemps: number[] = [];
    const hbmDeltas: number[] = [];
    // Seconds each GPU has been busy: temperatures lag a checkpoint dip by a few time constants.
    const busyFor = new Map<string, number>();
    for (const m of messages) {
      for (const g of m.gpus) {
        if (isHot(m.host, g.gpu)) continue;
        hottest = Math.max(hottest, g.temp_c! - (g.slowdown_temp_c! - 5));
        const key = `${m.host}/${g.gpu}`;
        const busy = g.util_pct! >= 90 ? (busyFor.get(key) ?? 0) + 1 : 0;
        busyFor.set(key, busy);
        if (busy >= 150) {
          busyTemps.push(g.temp_c!);
          hbmDeltas.push(g.mem_temp_c! - g.temp_c!);
        }
      }
    }
    expect(hottest).toBeLessThan(-3);
    expect(busyTemps.length).toBeGreaterThan(10_000);
    expect(min(busyTemps)).toBeGreaterThanOrEqual(55);
    expect(max(busyTemps)).toBeLessThanOrEqual(80);
    expect(mean(hbmDeltas)).toBeGreaterThan(2);
    expect(mean(hbmDeltas)).toBeLessThan(8);
  });

  it('heats the overheating GPU past its slowdown threshold within a few minutes, with thermal lag', () => {
    const before = hot.filter((x) => x.s < START_S);
    expect(max(before.map((x) => x.r.temp_c!))).toBeLessThan(before[0]!.r.slowdown_temp_c! - 5);
    const crossed = hot.find((x) => x.s >= START_S && x.r.temp_c! >= x.r.slowdown_temp_c!);
    expect(crossed).toBeDefined();
    // Lag: not at once, but within three minutes.
    expect(crossed!.s - START_S).toBeGreaterThan(10);
    expect(crossed!.s - START_S).toBeLessThan(180);
  });

  it('raises thermal throttle bits with lower clocks and power on that GPU only', () => {
    const throttled = hot.filter((x) => (x.r.clock_events! & THERMAL_CLOCK_EVENTS) !== 0);
    expect(throttled.length).toBeGreaterThan(60);
    expect(throttled.some((x) => (x.r.clock_events! & ClockEvent.HW_THERMAL) !== 0)).toBe(true);
    expect(throttled.every((x) => x.s >= START_S && x.s < END_S + 60)).toBe(true);
    const busyBefore = hot.filter((x) => x.s < START_S && x.r.util_pct! >= 90);
    const busyThrottled = throttled.filter((x) => x.r.util_pct! >= 90);
    expect(mean(busyThrottled.map((x) => x.r.sm_clock_mhz!))).toBeLessThan(
      0.9 * mean(busyBefore.map((x) => x.r.sm_clock_mhz!)),
    );
    expect(mean(busyThrottled.map((x) => x.r.power_w!))).toBeLessThan(0.9 * mean(busyBefore.map((x) => x.r.power_w!)));
    const throttledElsewhere = messages.flatMap((m) =>
      m.gpus.filter((g) => !isHot(m.host, g.gpu) && (g.clock_events! & THROTTLE) !== 0),
    );
    expect(throttledElsewhere).toEqual([]);
  });

  it('recovers after the fault ends', () => {
    const after = hot.filter((x) => x.s >= END_S + 120);
    expect(after.length).toBeGreaterThan(300);
    expect(max(after.map((x) => x.r.temp_c! - x.r.slowdown_temp_c!))).toBeLessThan(-5);
    expect(after.every((x) => (x.r.clock_events! & THROTTLE) === 0)).toBe(true);
  });

  it('runs each job near-synchronously at 95–100 % with consistent activity ratios', () => {
    let busyTicks = 0;
    for (const [, readings] of byTick(messages)) {
      for (const rack of ['r0001', 'r0002']) {
        const utils = readings.filter((x) => x.host.startsWith(rack)).map((x) => x.r.util_pct!);
        if (median(utils) < 50) continue; // a checkpoint
        busyTicks++;
        expect(min(utils)).toBeGreaterThanOrEqual(94);
        expect(max(utils) - min(utils)).toBeLessThanOrEqual(4);
      }
    }
    expect(busyTicks).toBeGreaterThan(1500);
    const inconsistent = messages.flatMap((m) =>
      m.gpus.filter(
        (g) =>
          g.sm_active! > g.util_pct! / 100 + 0.01 ||
          g.tensor_active! > g.sm_active! ||
          g.dram_active! > g.util_pct! / 100 + 0.2,
      ),
    );
    expect(inconsistent).toEqual([]);
  });

  it('dips whole jobs into checkpoints together, for 20–40 s, every ~10 minutes', () => {
    for (const rack of ['r0001', 'r0002']) {
      const dipTicks: number[] = [];
      for (const [s, readings] of byTick(messages)) {
        const job = readings.filter((x) => x.host.startsWith(rack));
        const low = job.filter((x) => x.r.util_pct! < 50).length;
        // All of the job's 72 GPUs or none of them.
        expect([0, 72]).toContain(low);
        if (low === 72) dipTicks.push(s);
      }
      const dips = splitRuns(dipTicks);
      expect(dips.length).toBeGreaterThanOrEqual(1);
      for (const d of dips.filter((d) => d[0]! > 0 && d[d.length - 1]! < 15 * 60 - 1)) {
        expect(d.length).toBeGreaterThanOrEqual(20);
        expect(d.length).toBeLessThanOrEqual(41);
      }
      const starts = dips.map((d) => d[0]!);
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(540);
    }
  });

  it('integrates power into a monotonic energy counter whose rate is the mean power', () => {
    for (const m of messages.filter((m) => m.ts === messages[0]!.ts)) {
      for (const g0 of m.gpus) {
        const s = series(messages, m.host, g0.gpu);
        expect(s.filter((x, i) => i > 0 && x.r.energy_j! <= s[i - 1]!.r.energy_j!)).toEqual([]);
        const first = s[0]!;
        const last = s[s.length - 1]!;
        const rate = (last.r.energy_j! - first.r.energy_j!) / (last.s - first.s);
        const meanPower = mean(s.slice(1).map((x) => x.r.power_w!));
        expect(Math.abs(rate - meanPower) / meanPower).toBeLessThan(0.001);
      }
    }
  });

  it('draws ~1000–1300 W busy, less in a checkpoint, under the limit; NVLink bytes grow with work', () => {
    const busy = messages.flatMap((m) => m.gpus.filter((g) => g.util_pct! >= 90 && (g.clock_events! & THROTTLE) === 0));
    const power = busy.map((g) => g.power_w!);
    expect(min(power)).toBeGreaterThan(950);
    expect(max(power)).toBeLessThan(1350);
    expect(busy.every((g) => g.sm_clock_mhz! >= 1880 && g.sm_clock_mhz! <= 2010)).toBe(true);
    const dipping = messages.flatMap((m) => m.gpus.filter((g) => g.util_pct! < 50));
    expect(max(dipping.map((g) => g.power_w!))).toBeLessThan(400);
    const s = series(messages, 'r0002-t01', 0);
    const growth = s
      .slice(1)
      .map((x, i) => ({ util: x.r.util_pct!, bytes: x.r.nvlink_bytes! - s[i]!.r.nvlink_bytes! }));
    expect(mean(growth.filter((x) => x.util >= 90).map((x) => x.bytes))).toBeGreaterThan(
      10 * mean(growth.filter((x) => x.util < 50).map((x) => x.bytes)),
    );
    expect(growth.every((x) => x.bytes >= 0)).toBe(true);
  });
});

describe('job restarts', () => {
  const messages = run({ seed: 8, jobs: { restartMeanMs: 120_000, restartDurationMs: [60_000, 60_000] } }, 600);

  it('idles the whole job together: util 0, GPU_IDLE, memory released, then trains again', () => {
    const idleTicks: number[] = [];
    for (const [s, readings] of byTick(messages)) {
      const idle = readings.filter((x) => x.r.util_pct === 0 && (x.r.clock_events! & ClockEvent.GPU_IDLE) !== 0);
      expect([0, 72]).toContain(idle.length);
      if (idle.length === 72) {
        idleTicks.push(s);
        expect(readings.every((x) => x.r.fb_used_mib! < 2000 && x.r.power_w! < 260)).toBe(true);
      }
    }
    const restarts = splitRuns(idleTicks);
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    for (const r of restarts.filter((r) => r[r.length - 1]! < 599)) expect(r.length).toBe(60);
    const last = idleTicks[idleTicks.length - 1]!;
    if (last < 590)
      expect(
        byTick(messages)
          .get(last + 5)!
          .every((x) => x.r.util_pct! > 0),
      ).toBe(true);
  });
});

describe('faults', () => {
  const messages = run(
    {
      racks: 2,
      seed: 9,
      jobs: { restartMeanMs: Infinity },
      faults: [
        parseFault('stall:r0001-t05/1@60s+120s'),
        parseFault('straggler=0.25:r0001-t06/0@60s+120s'),
        parseFault('xid=48:r0001-t07/3@30s+60s'),
        parseFault('ecc_dbe=3:r0001-t08/0@60s+120s'),
        parseFault('offline:r0001-t09@60s+30s'),
        parseFault('gpu_missing:r0001-t10/2@60s+30s'),
        parseFault('counter_reset:r0001-t11@120s+5s'),
        parseFault('clock_skew:r0001-t12@60s+60s'),
        parseFault('rack_cooling=25:r0002@60s+240s'),
      ],
    },
    8 * 60,
  );
  const ticks = byTick(messages);
  /** The rack's busy peers at second s (undefined during a checkpoint). */
  const peers = (s: number, rack = 'r0001') => {
    const list = ticks.get(s)!.filter((x) => x.host.startsWith(rack));
    return median(list.map((x) => x.r.util_pct!)) >= 90 ? list : undefined;
  };

  it('clock_skew: the host stamps its messages four minutes ahead in the window, the others keep the time', () => {
    const seq0 = messages[0]!.seq;
    const at = (host: string, s: number) => messages.find((m) => m.host === host && m.seq === seq0 + s)!.ts;
    expect(at('r0001-t12', 90) - at('r0001-t13', 90)).toBe(240_000);
    expect(at('r0001-t12', 59)).toBe(at('r0001-t13', 59));
    expect(at('r0001-t12', 120)).toBe(at('r0001-t13', 120));
  });

  it('stall: util and sm_active near zero while the job is busy, memory still allocated', () => {
    let compared = 0;
    for (const { s, r } of series(messages, 'r0001-t05', 1)) {
      const inWindow = s >= 60 && s < 180;
      const busy = peers(s);
      if (inWindow) {
        expect(r.util_pct!).toBeLessThanOrEqual(2);
        expect(r.sm_active!).toBeLessThan(0.01);
        expect(r.fb_used_mib!).toBeGreaterThan(100_000);
        if (busy) compared++;
      } else if (busy) {
        expect(r.util_pct!).toBeGreaterThanOrEqual(90);
      }
    }
    expect(compared).toBeGreaterThan(60);
  });

  it('straggler: SM clock and power 15–30 % below peers while utilization stays high', () => {
    const ratios: { clock: number; power: number }[] = [];
    for (const { s, r } of series(messages, 'r0001-t06', 0)) {
      const busy = peers(s);
      if (!busy || s < 60 || s >= 180) continue;
      expect(r.util_pct!).toBeGreaterThanOrEqual(90);
      const others = busy.filter((x) => !(x.host === 'r0001-t06' && x.r.gpu === 0));
      ratios.push({
        clock: r.sm_clock_mhz! / mean(others.map((x) => x.r.sm_clock_mhz!)),
        power: r.power_w! / mean(others.map((x) => x.r.power_w!)),
      });
    }
    expect(ratios.length).toBeGreaterThan(60);
    expect(mean(ratios.map((x) => x.clock))).toBeGreaterThan(0.7);
    expect(mean(ratios.map((x) => x.clock))).toBeLessThan(0.85);
    expect(mean(ratios.map((x) => x.power))).toBeGreaterThan(0.7);
    expect(mean(ratios.map((x) => x.power))).toBeLessThan(0.85);
  });

  it('xid: the code from startMs until endMs, on that GPU only', () => {
    const xids = messages.flatMap((m) =>
      m.gpus.filter((g) => g.xid !== 0).map((g) => `${m.host}/${g.gpu}@${(m.ts - messages[0]!.ts) / 1000}=${g.xid}`),
    );
    expect(xids).toEqual(Array.from({ length: 60 }, (_, i) => `r0001-t07/3@${30 + i}=48`));
  });

  it('ecc_dbe: double-bit and remapped-row counters step up by the count over the window', () => {
    const s = series(messages, 'r0001-t08', 0);
    expect(s.filter((x) => x.s < 60).every((x) => x.r.ecc_dbe_vol === 0)).toBe(true);
    expect(s.find((x) => x.s === 60)!.r.ecc_dbe_vol).toBe(1);
    expect(s.find((x) => x.s === 100)!.r.ecc_dbe_vol).toBe(2);
    expect(s.find((x) => x.s === 140)!.r.ecc_dbe_vol).toBe(3);
    expect(s.filter((x) => x.s >= 140).every((x) => x.r.ecc_dbe_vol === 3 && x.r.remapped_rows_unc === 3)).toBe(true);
    expect(messages.flatMap((m) => m.gpus).filter((g) => g.ecc_dbe_vol! > 0)).toHaveLength(
      s.filter((x) => x.s >= 60).length,
    );
  });

  it('offline: the host sends nothing in the window, then resumes with a higher seq', () => {
    const seen = messages.filter((m) => m.host === 'r0001-t09').map((m) => (m.ts - messages[0]!.ts) / 1000);
    expect(seen.filter((s) => s >= 60 && s < 90)).toEqual([]);
    expect(seen).toHaveLength(8 * 60 - 30);
    const seqs = messages.filter((m) => m.host === 'r0001-t09').map((m) => m.seq);
    expect(seqs[60]! - seqs[59]!).toBe(31);
  });

  it('gpu_missing: the GPU is absent from its host messages in the window', () => {
    for (const m of messages.filter((m) => m.host === 'r0001-t10')) {
      const s = (m.ts - messages[0]!.ts) / 1000;
      expect(m.gpus.map((g) => g.gpu)).toEqual(s >= 60 && s < 90 ? [0, 1, 3] : [0, 1, 2, 3]);
    }
  });

  it('counter_reset: a gap for the reload, then energy counts again from 0', () => {
    for (let gpu = 0; gpu < 4; gpu++) {
      const s = series(messages, 'r0001-t11', gpu);
      expect(s.filter((x) => x.s >= 120 && x.s < 125)).toEqual([]);
      const before = s.filter((x) => x.s < 120);
      const after = s.filter((x) => x.s >= 125);
      expect(before[before.length - 1]!.r.energy_j!).toBeGreaterThan(1e7);
      // Five seconds of reload and the first interval at ~1.1 kW since the counter restarted.
      expect(after[0]!.r.energy_j!).toBeLessThan(6 * 1400);
      for (let i = 1; i < after.length; i++) expect(after[i]!.r.energy_j!).toBeGreaterThan(after[i - 1]!.r.energy_j!);
    }
  });

  it('rack_cooling: every GPU of the rack heats up together and cools after, the other rack unaffected', () => {
    const rackMean = (s: number, rack: string) =>
      mean(
        ticks
          .get(s)!
          .filter((x) => x.host.startsWith(rack) && x.r.util_pct! >= 90)
          .map((x) => x.r.temp_c!),
      );
    const warm = [200, 250, 290].filter((s) => peers(s, 'r0002'));
    expect(warm.length).toBeGreaterThan(0);
    for (const s of warm) {
      expect(rackMean(s, 'r0002') - rackMean(50, 'r0002')).toBeGreaterThan(15);
      const heated = ticks.get(s)!.filter((x) => x.host.startsWith('r0002') && x.r.temp_c! > x.r.slowdown_temp_c! - 10);
      expect(heated).toHaveLength(72);
    }
    expect(Math.abs(rackMean(250, 'r0001') - rackMean(50, 'r0001'))).toBeLessThan(3);
    const late = ticks.get(8 * 60 - 1)!.filter((x) => x.host.startsWith('r0002'));
    expect(
      late.every((x) => x.r.temp_c! < x.r.slowdown_temp_c! - 10 && (x.r.clock_events! & THERMAL_CLOCK_EVENTS) === 0),
    ).toBe(true);
  });
});

/** Splits sorted integers into runs of consecutive values. */
function splitRuns(xs: readonly number[]): number[][] {
  const runs: number[][] = [];
  for (const x of xs) {
    const last = runs[runs.length - 1];
    if (last && x === last[last.length - 1]! + 1) last.push(x);
    else runs.push([x]);
  }
  return runs;
}
