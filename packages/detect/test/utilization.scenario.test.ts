import { describe, expect, it } from 'vitest';
import { expectAlerts, linesOf, runScenario } from './scenario.js';

const GPU = 'r0001-t03/2';
/** A stall from 120 s to 419 s: no kernels, the context still resident. */
const STALL = { sm_active: '0.88x119 0.002x299 0.88', util_pct: '97x119 0x299 97' };
/** The whole job checkpoints from 300 s to 329 s. */
const CHECKPOINT = { sm_active: '0.88x299 0.04x29 0.88', util_pct: '97x299 10x29 97', power_w: '1100x299 250x29 1100' };

describe('utilization detectors', () => {
  it('pages a GPU stalled while its job is busy, with the peer median in evidence, and resolves it', () => {
    const result = runScenario({ duration: '10m', series: { [GPU]: STALL } });
    // First stalled window ends 130 s, `for` 1 min; running again in the window ending 430 s, keep_firing_for 2 min.
    expectAlerts(result, ['3m10s firing GpuStalled r0001-t03/2', '9m10s resolved GpuStalled r0001-t03/2']);
    const { labels, annotations } = result.events[0]!;
    expect(labels).toMatchObject({
      alertname: 'GpuStalled',
      category: 'utilization',
      severity: 'critical',
      job: 'train-a',
      gpu: '2',
      host: 'r0001-t03',
    });
    expect(annotations).toMatchObject({ value: '0.002', threshold: '0.05', peers: '71', peer_group: 'job train-a' });
    expect(Number(annotations.peer_median)).toBeGreaterThan(0.87);
  });

  it('pages nothing when the whole job dips: checkpoint, job stop and start', () => {
    expectAlerts(runScenario({ duration: '10m', series: { r0001: CHECKPOINT } }), []);
    expectAlerts(
      runScenario({
        duration: '10m',
        series: {
          r0001: { sm_active: '0.88x119 0x179 0.88', util_pct: '97x119 0x179 97', power_w: '1100x119 200x179 1100' },
        },
      }),
      [],
    );
  });

  it('keeps one alert for a GPU stalled across its job’s checkpoint', () => {
    // Stalled from 120 s to 599 s; the checkpoint (300–329 s) clears the condition for 30 s, less than keep_firing_for.
    const result = runScenario({
      duration: '13m',
      series: { r0001: CHECKPOINT, [GPU]: { sm_active: '0.88x119 0.002x479 0.88', util_pct: '97x119 0x479 97' } },
    });
    expectAlerts(result, ['3m10s firing GpuStalled r0001-t03/2', '12m10s resolved GpuStalled r0001-t03/2']);
  });

  it('compares a GPU with its job: an idle job next to a busy one is no stall, unless jobs are unknown and the rack is the group', () => {
    const idle = { sm_active: '0', util_pct: '0', power_w: '200' };
    const busyAndIdle = (job: string | undefined) =>
      runScenario({
        duration: '5m',
        series: Object.fromEntries(
          Array.from({ length: 18 }, (_, t) => [
            `r0001-t${String(t + 1).padStart(2, '0')}`,
            t < 9 ? { job: job ?? 'train-a' } : { ...idle, job: job ?? 'eval-b' },
          ]),
        ),
      });
    expectAlerts(busyAndIdle(undefined), []);
    const rackPeers = busyAndIdle('');
    // 36 idle GPUs in 9 whole trays: each tray's alert, and its GPUs' (muted by it at the alerter).
    expect(linesOf(rackPeers, 'GpuStalled').filter((l) => l.includes('/'))).toHaveLength(36);
    expect(linesOf(rackPeers, 'GpuStalled').filter((l) => !l.includes('/'))).toHaveLength(9);
    const gpuAlert = rackPeers.events.find((e) => e.labels.gpu !== undefined)!;
    expect(gpuAlert.annotations.peer_group).toBe('rack r0001');
    expect(gpuAlert.labels.job).toBeUndefined();
  });

  it('pages a straggler after minutes of lagging its peers, with the robust z in evidence', () => {
    // SM clock 23 % low and power 250 W low from 60 s to 359 s.
    const result = runScenario({
      duration: '10m',
      series: { 'r0001-t05/1': { sm_clock_mhz: '1950x59 1500x299 1950', 'power_w+': '0x59 -250x299 0' } },
    });
    // First lagging window ends 70 s, `for` 3 min; back in line in the window ending 370 s, keep_firing_for 2 min.
    expectAlerts(result, ['4m10s firing GpuStraggler r0001-t05/1', '8m10s resolved GpuStraggler r0001-t05/1']);
    const { labels, annotations } = result.events[0]!;
    expect(labels).toMatchObject({
      alertname: 'GpuStraggler',
      severity: 'warning',
      category: 'utilization',
      job: 'train-a',
    });
    expect(annotations).toMatchObject({ metric: 'sm_clock_mhz', value: '1500', peer_group: 'job train-a' });
    expect(Number(annotations.z)).toBeLessThan(-10);
    expect(Number(annotations.peer_median)).toBeGreaterThan(1940);
  });

  it('finds no straggler in a whole job running slow, a short slowdown, or a GPU held back by heat', () => {
    expectAlerts(
      runScenario({ duration: '8m', series: { r0001: { sm_clock_mhz: '1950x59 1500', 'power_w+': '0x59 -250' } } }),
      [],
    );
    expectAlerts(
      runScenario({ duration: '8m', series: { 'r0001-t05/1': { sm_clock_mhz: '1950x59 1500x119 1950' } } }),
      [],
    );
    // HW thermal slowdown halves the clock: a thermal page, not a straggler.
    const hot = runScenario({
      duration: '8m',
      series: { 'r0001-t05/1': { sm_clock_mhz: '1950x59 975x299 1950', clock_events: '0x59 64x299 0' } },
    });
    expectAlerts(hot, [
      '1m30s firing GpuThermalThrottling r0001-t05/1',
      '7m resolved GpuThermalThrottling r0001-t05/1',
    ]);
  });
});
