import { describe, expect, it } from 'vitest';
import { expectAlerts, linesOf, runScenario } from './scenario.js';

const GPU = 'r0001-t07/0';

/** `high` for `n` samples, then `low` for `n`, repeated `times`: power that swings with a 2n-second period. */
function oscillating(high: number, low: number, n: number, times: number): string {
  return Array.from({ length: times }, () => `${high}x${n - 1} ${low}x${n - 1}`).join(' ');
}

describe('NVLink', () => {
  it('pages a GPU whose links go inactive, not a link that flaps for seconds', () => {
    const result = runScenario({ duration: '6m', series: { [GPU]: { nvlink_links_inactive: '0x59 2x119 0' } } });
    // Inactive from 60 s, for 30 s; active again at 180 s, keep_firing_for 2 min.
    expectAlerts(result, ['1m30s firing GpuNvlinkDegraded r0001-t07/0', '5m resolved GpuNvlinkDegraded r0001-t07/0']);
    expect(result.events[0]!.labels).toMatchObject({ severity: 'critical', category: 'hardware' });
    expect(result.events[0]!.annotations.summary).toBe(
      'GPU 0 on r0001-t07 (rack r0001, test-ai1): 2 NVLink links inactive',
    );
    expectAlerts(runScenario({ duration: '3m', series: { [GPU]: { nvlink_links_inactive: '0x59 1x9 0' } } }), []);
  });

  it('pages error counters rising fast, not a trickle of CRC errors nor a counter restart', () => {
    // 5 replays/s from 60 s to 240 s. Rates over 60 s spans from 0 s: the span ending 120 s has 5/s: pending, fires
    // 30 s later; the span ending 300 s has none: clears, keep_firing_for 2 min.
    const result = runScenario({ duration: '8m', series: { [GPU]: { nvlink_replay_errors: '0x59 0+5x179 900' } } });
    expectAlerts(result, ['2m30s firing GpuNvlinkDegraded r0001-t07/0', '7m resolved GpuNvlinkDegraded r0001-t07/0']);
    expect(result.events[0]!.annotations.summary).toMatch(/NVLink errors rising \(nvlink_replay_errors \+5\/s\)$/);
    expectAlerts(runScenario({ duration: '10m', series: { [GPU]: { nvlink_crc_errors: '0+0.5x600' } } }), []);
    expectAlerts(
      runScenario({
        duration: '4m',
        series: { [GPU]: { nvlink_crc_errors: '7000x59 0', nvlink_recovery_errors: '40x59 0' } },
      }),
      [],
    );
  });

  it('raises one rack alert, ahead of its GPUs’ alerts, when the links of a whole rack go down; one tray is no rack event', () => {
    const rack = runScenario({ duration: '4m', series: { r0001: { nvlink_links_inactive: '0x59 4' } } });
    // The pass closing the window that ends at 60 s sees the samples up to 65 s (allowed lateness): pending; fires 10 s on.
    expect(linesOf(rack, 'RackNvlinkDegraded')).toEqual(['1m10s firing RackNvlinkDegraded r0001']);
    expect(rack.events.find((e) => e.labels.alertname === 'RackNvlinkDegraded')!.annotations).toMatchObject({
      affected_gpus: '72',
      reporting_gpus: '72',
      threshold: '18',
    });
    // The GPUs' own alerts (muted at the alerter by the built-in rule) reach it only after the rack's.
    const firstGpu = rack.emitted.findIndex((l) => l.includes('GpuNvlinkDegraded'));
    expect(rack.emitted.findIndex((l) => l.includes('RackNvlinkDegraded'))).toBeLessThan(
      firstGpu === -1 ? Infinity : firstGpu,
    );
    const tray = runScenario({ duration: '4m', series: { 'r0001-t05': { nvlink_links_inactive: '0x59 4' } } });
    expect(linesOf(tray, 'RackNvlinkDegraded')).toEqual([]);
    expect(linesOf(tray, 'GpuNvlinkDegraded').filter((l) => !l.includes('/'))).toEqual([
      '1m30s firing GpuNvlinkDegraded r0001-t05',
    ]);
  });
});

describe('NVLink fabric', () => {
  it('pages a GPU whose fabric is stuck in progress or failed while its rack runs a compute domain, after the grace period', () => {
    expectAlerts(runScenario({ duration: '8m', series: { [GPU]: { fabric_state: '3x59 2', fabric_clique: '0' } } }), [
      '6m firing GpuFabricNotReady r0001-t07/0',
    ]);
    const failed = runScenario({ duration: '8m', series: { [GPU]: { fabric_status: '0x59 5' } } });
    expectAlerts(failed, ['6m firing GpuFabricNotReady r0001-t07/0']);
    expect(failed.events[0]!.annotations.summary).toMatch(/NVLink fabric failed \(status 5\) for over 5 min$/);
  });

  it('pages nothing for a fabric that comes up within the grace period, nor for a part without a fabric', () => {
    expectAlerts(
      runScenario({ duration: '8m', series: { [GPU]: { fabric_state: '1x59 2x119 3', fabric_clique: '0x179 1' } } }),
      [],
    );
    expectAlerts(runScenario({ duration: '8m', series: { '*': { fabric_state: '0', fabric_clique: '0' } } }), []);
  });

  it('pages nothing on an idle rack that has no compute domain, however long its fabric stays unstarted', () => {
    expectAlerts(
      runScenario({ duration: '20m', job: '', series: { '*': { fabric_state: '2', fabric_clique: '0' } } }),
      [],
    );
    expectAlerts(
      runScenario({ duration: '20m', job: '', series: { '*': { fabric_state: '1', fabric_clique: '0' } } }),
      [],
    );
  });

  it('raises one rack alert when the fabric of a whole rack running a job does not come up', () => {
    const result = runScenario({
      duration: '8m',
      series: { r0001: { fabric_state: '3x59 2', fabric_clique: '1x59 0' } },
    });
    // Pending from the pass closing the window that ends at 60 s; for (the grace) 5 min.
    expect(linesOf(result, 'RackFabricNotReady')).toEqual(['6m firing RackFabricNotReady r0001']);
    const firstGpu = result.emitted.findIndex((l) => l.includes('GpuFabricNotReady'));
    expect(result.emitted.findIndex((l) => l.includes('RackFabricNotReady'))).toBeLessThan(
      firstGpu === -1 ? Infinity : firstGpu,
    );
  });
});

describe('correctable ECC errors', () => {
  it('pages a storm of corrected errors, not a trickle nor a counter restart', () => {
    // 20 errors/s from 60 s to 180 s; judged over 60 s spans from 0 s: the span ending 120 s fires (for 0), the
    // span ending 240 s has none, keep_firing_for 5 min.
    const result = runScenario({ duration: '10m', series: { [GPU]: { ecc_sbe_vol: '0x59 0+20x120 2400' } } });
    expectAlerts(result, [
      '2m firing GpuCorrectableErrorStorm r0001-t07/0',
      '9m resolved GpuCorrectableErrorStorm r0001-t07/0',
    ]);
    expect(result.events[0]!.labels).toMatchObject({ severity: 'warning', category: 'hardware' });
    expect(result.events[0]!.annotations).toMatchObject({ value: '20', threshold: '1' });
    expectAlerts(runScenario({ duration: '10m', series: { [GPU]: { ecc_sbe_vol: '0+0.02x600' } } }), []);
    expectAlerts(runScenario({ duration: '4m', series: { [GPU]: { ecc_sbe_vol: '500x59 0' } } }), []);
  });
});

describe('thermal margin', () => {
  it('pages a small margin from the GPU’s own reading, and only that page where the GPU reports no slowdown temperature', () => {
    // 83 °C throughout, within 5 °C of the default 87 °C slowdown point, and no slowdown_temp_c (as Blackwell reports
    // it): the margin, not a fixed temperature, decides.
    const result = runScenario({
      duration: '3m',
      series: { [GPU]: { temp_margin_c: '20x59 4x59 20', temp_c: '83', slowdown_temp_c: '_' } },
    });
    expectAlerts(result, [
      '1m10s firing GpuThermalMarginLow r0001-t07/0',
      '2m resolved GpuThermalMarginLow r0001-t07/0',
    ]);
    expect(result.events[0]!.annotations.summary).toBe(
      'GPU 0 on r0001-t07 (rack r0001, test-ai1) is 4 °C from its slowdown point at 83 °C',
    );
  });

  it('pages nothing for a GPU running hot by a fixed number but with margin to spare', () => {
    // 84 °C is within 5 °C of the default 87 °C slowdown, but this GPU reports 12 °C of margin and no slowdown temperature.
    expectAlerts(
      runScenario({ duration: '3m', series: { [GPU]: { temp_c: '84', slowdown_temp_c: '_', temp_margin_c: '12' } } }),
      [],
    );
  });
});

describe('power', () => {
  it('warns of a module held at its power limit, not of a spike', () => {
    const result = runScenario({ duration: '9m', series: { [GPU]: { module_power_w: '2500x59 2880x359 2500' } } });
    expectAlerts(result, [
      '6m firing GpuModulePowerAtLimit r0001-t07/0',
      '8m resolved GpuModulePowerAtLimit r0001-t07/0',
    ]);
    expect(result.events[0]!.labels.severity).toBe('warning');
    expectAlerts(runScenario({ duration: '4m', series: { [GPU]: { module_power_w: '2500x59 2890x29 2500' } } }), []);
  });

  it('warns of a rack whose power swings, not of a job starting or checkpointing', () => {
    const swing = runScenario({
      duration: '5m',
      series: { r0001: { power_w: `1100x119 ${oscillating(1100, 300, 10, 9)} 1100` } },
    });
    expect(linesOf(swing, 'RackPowerSwing')[0]).toMatch(/firing RackPowerSwing r0001$/);
    expect(swing.events.find((e) => e.labels.alertname === 'RackPowerSwing')!.labels).toMatchObject({
      severity: 'warning',
      category: 'hardware',
    });
    expect(
      linesOf(runScenario({ duration: '5m', series: { r0001: { power_w: '200x119 1100' } } }), 'RackPowerSwing'),
    ).toEqual([]);
    expect(
      linesOf(
        runScenario({ duration: '5m', series: { r0001: { power_w: '1100x119 300x29 1100' } } }),
        'RackPowerSwing',
      ),
    ).toEqual([]);
  });
});
