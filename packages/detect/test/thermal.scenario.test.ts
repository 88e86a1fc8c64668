import { describe, expect, it } from 'vitest';
import { expectAlerts, linesOf, runScenario, type ScenarioResult } from './scenario.js';

const HOT = 'r0001-t03/2';

describe('thermal detectors', () => {
  it('pages a GPU heating towards its slowdown threshold: first the rise, then the nearness; both resolve', () => {
    // 70 °C, then +0.5 °C/s from 60 s to 86 °C at 92 s, held to 212 s, 76 °C from 213 s.
    const result = runScenario({ duration: '5m', series: { [HOT]: { temp_c: '70x59 70+0.5x32 86x119 76' } } });
    expectAlerts(result, [
      // Window means 70, 72.25, 77.25 (ending 80 s): 21.75 °C/min, within 12 °C of 87, forecast 99 °C: pending;
      // still rising in the next window (72.25, 77.25, 82.25: 30 °C/min): fires at its end.
      '1m30s firing GpuTemperatureRising r0001-t03/2',
      // 82 °C (87 − 5) at 84 s, held for 10 s.
      '1m34s firing GpuTemperatureNearSlowdown r0001-t03/2',
      // Level from the window ending 120 s; keep_firing_for 30 s.
      '2m30s resolved GpuTemperatureRising r0001-t03/2',
      // 76 °C is below 82 − 2 (hysteresis).
      '3m33s resolved GpuTemperatureNearSlowdown r0001-t03/2',
    ]);
    const [rising, near] = result.events;
    expect(rising!.annotations).toMatchObject({ rate_c_per_min: '30', forecast_c: '112.3', threshold: '87' });
    expect(rising!.annotations.summary).toMatch(
      /^GPU 2 on r0001-t03 \(rack r0001, test-ai1\) is heating at 30 °C\/min: 82\.3 °C now/,
    );
    expect(near!.annotations).toMatchObject({ value: '86', threshold: '82', limit: '87' });
  });

  it('pages nothing for a single-sample spike, nor for a GPU warming slowly to a safe level', () => {
    expectAlerts(runScenario({ duration: '3m', series: { [HOT]: { temp_c: '70x59 95 70' } } }), []);
    expectAlerts(runScenario({ duration: '6m', series: { [HOT]: { temp_c: '70x59 70+0.05x200 80' } } }), []);
  });

  it('holds HBM against the GPU’s own memory limit, or the default when it reports none', () => {
    const own = runScenario({
      duration: '3m',
      series: { [HOT]: { mem_temp_c: '80x59 92x59 85', mem_max_temp_c: '95' } },
    });
    expectAlerts(own, [
      '1m10s firing GpuMemoryTemperatureNearLimit r0001-t03/2',
      '2m resolved GpuMemoryTemperatureNearLimit r0001-t03/2',
    ]);
    expect(own.events[0]!.annotations.summary).toMatch(
      /^HBM of GPU 2 on r0001-t03 .* 92 °C, 3 °C below its 95 °C memory maximum/,
    );
    // A GPU with a lower memory limit pages at a lower temperature.
    expectAlerts(
      runScenario({ duration: '3m', series: { [HOT]: { mem_temp_c: '80x59 88x59 80', mem_max_temp_c: '90' } } }),
      [
        '1m10s firing GpuMemoryTemperatureNearLimit r0001-t03/2',
        '2m resolved GpuMemoryTemperatureNearLimit r0001-t03/2',
      ],
    );
    const absent = runScenario({
      duration: '3m',
      series: { [HOT]: { mem_temp_c: '80x59 92x59 85', mem_max_temp_c: '_' } },
    });
    expect(absent.events[0]!.annotations.description).toMatch(/configured default/);
  });

  it('pages sustained thermal throttling, not a brief one, nor power capping or idling', () => {
    // SW thermal (0x20) from 60 s to 149 s, then HW thermal (0x40) to 179 s.
    const result = runScenario({ duration: '5m', series: { [HOT]: { clock_events: '0x59 32x89 64x29 0' } } });
    expectAlerts(result, [
      '1m30s firing GpuThermalThrottling r0001-t03/2',
      '4m resolved GpuThermalThrottling r0001-t03/2',
    ]);
    expect(result.events[0]!.annotations).toMatchObject({ value: '0x0020', mask: '0x0060', held_for_s: '30' });
    expect(result.events[0]!.annotations.summary).toMatch(/SW thermal slowdown for 30 s$/);
    expectAlerts(runScenario({ duration: '3m', series: { [HOT]: { clock_events: '0x59 64x19 0' } } }), []);
    expectAlerts(
      runScenario({ duration: '5m', series: { '*': { clock_events: '4' }, [HOT]: { clock_events: '1' } } }),
      [],
    );
  });

  it('raises one rack-level alert when a rack heats up without load, and no per-GPU page', () => {
    // Every GPU of the rack +6 °C over a minute from 300 s, at constant power: the coolant, not the load.
    const result = runScenario({ duration: '15m', series: { r0001: { 'temp_c+': '0x299 0+0.1x59 6' } } });
    // The window ending 350 s rose ≥ 4 °C over a minute with power steady: pending; 10 s later fires. Heating ends
    // once the minute looked back over holds less than 4 °C of the ramp (window ending 390 s); keep_firing_for 5 min.
    expectAlerts(result, ['6m firing RackCoolingFailure r0001', '11m30s resolved RackCoolingFailure r0001']);
    const { labels, annotations } = result.events[0]!;
    expect(labels).toEqual({
      alertname: 'RackCoolingFailure',
      severity: 'critical',
      category: 'thermal',
      cluster: 'test-ai1',
      rack: 'r0001',
    });
    expect(annotations).toMatchObject({
      affected_gpus: '72',
      reporting_gpus: '72',
      heating_gpus: '72',
      hot_gpus: '0',
      threshold: '18',
    });
    expect(annotations.summary).toBe('Rack r0001 (test-ai1) is losing cooling: 72 of 72 GPUs heating or hot at once');
  });

  it('tells a hot rack from hot GPUs: a quarter of the rack near its limit is a rack event, one host is not', () => {
    const heat = { temp_c: '70x59 70+0.35x40 84x239 70' };
    const rack = runScenario({
      duration: '11m',
      series: { 'r0001-t01': heat, 'r0001-t02': heat, 'r0001-t03': heat, 'r0001-t04': heat, 'r0001-t05': heat },
    });
    // 20 GPUs (over a quarter of 72) at or above 82 °C in the window ending 100 s, for 10 s; cooled by the window
    // ending 350 s, then keep_firing_for 5 min.
    expect(linesOf(rack, 'RackCoolingFailure')).toEqual([
      '1m50s firing RackCoolingFailure r0001',
      '10m50s resolved RackCoolingFailure r0001',
    ]);
    // The per-GPU alerts are there too, and each tray's, since every GPU of the five trays is hot; the alerter's built-in
    // inhibition (source RackCoolingFailure, equal cluster, rack) mutes them all.
    const perGpu = (r: ScenarioResult) => linesOf(r, 'GpuTemperatureNearSlowdown').filter((l) => l.includes('/'));
    const perTray = (r: ScenarioResult) => linesOf(r, 'GpuTemperatureNearSlowdown').filter((l) => !l.includes('/'));
    expect(perGpu(rack)).toHaveLength(40);
    expect(perTray(rack)).toHaveLength(10);
    const host = runScenario({ duration: '11m', series: { 'r0001-t03': heat } });
    expect(linesOf(host, 'RackCoolingFailure')).toEqual([]);
    expect(perGpu(host)).toHaveLength(8);
    // One tray alert for the host, which mutes its four GPUs' (the built-in rule "a tray mutes its GPUs").
    expect(perTray(host)).toEqual([
      '1m45s firing GpuTemperatureNearSlowdown r0001-t03',
      '5m41s resolved GpuTemperatureNearSlowdown r0001-t03',
    ]);
  });

  it('pages nothing when a job starts on an idle rack, though the whole rack heats up (with its power)', () => {
    // From 40 °C towards 70 °C with a 25 s thermal time constant (piecewise linear), as power steps to 1100 W at 300 s.
    const warmUp = '40x299 40+0.76x24 59+0.28x24 66+0.1x24 68.5+0.04x24 69.5+0.02x24 70';
    expectAlerts(
      runScenario({
        duration: '12m',
        series: {
          r0001: {
            temp_c: warmUp,
            power_w: '200x299 1100',
            util_pct: '0x299 97',
            sm_active: '0x299 0.88',
            clock_events: '1x299 0',
          },
        },
      }),
      [],
    );
  });
});
