import { describe, expect, it } from 'vitest';
import { expectAlerts, runScenario } from './scenario.js';

const GPU = 'r0001-t07/0';

describe('hardware detectors', () => {
  it('pages a fatal Xid at once, naming it, and resolves after the reset clears it', () => {
    const result = runScenario({ duration: '9m', series: { [GPU]: { xid: '0x59 48x139 0' } } });
    // Xid 48 from 60 s; cleared at 200 s, keep_firing_for 5 min.
    expectAlerts(result, ['1m firing GpuXidError r0001-t07/0', '8m20s resolved GpuXidError r0001-t07/0']);
    const { labels, annotations } = result.events[0]!;
    expect(labels).toMatchObject({
      alertname: 'GpuXidError',
      severity: 'critical',
      category: 'hardware',
      xid: '48',
      host: 'r0001-t07',
      gpu: '0',
    });
    expect(annotations.summary).toBe(
      'GPU 0 on r0001-t07 (rack r0001, test-ai1) reported Xid 48: double-bit ECC error; drain, reset the GPU, service if it repeats',
    );
  });

  it('ignores application Xids, warns on hardware warnings, and still pages a fatal Xid that follows a warning', () => {
    expectAlerts(runScenario({ duration: '3m', series: { [GPU]: { xid: '0x59 13x29 31' } } }), []);
    const result = runScenario({ duration: '8m', series: { [GPU]: { xid: '0x59 92x59 79' } } });
    expectAlerts(result, [
      '1m firing GpuXidError r0001-t07/0',
      '2m firing GpuXidError r0001-t07/0',
      '7m resolved GpuXidError r0001-t07/0',
    ]);
    expect(result.events.map((e) => `${e.labels.severity} ${e.labels.xid}`)).toEqual([
      'warning 92',
      'critical 79',
      'warning 92',
    ]);
  });

  it('pages double-bit ECC errors once per burst and resolves after ten quiet minutes', () => {
    const result = runScenario({ duration: '12m', series: { [GPU]: { ecc_dbe_vol: '0x59 1x29 3' } } });
    // Errors at 60 s and 90 s; the next sample (91 s) has none, keep_firing_for 10 min.
    expectAlerts(result, [
      '1m firing GpuEccDoubleBitErrors r0001-t07/0',
      '11m31s resolved GpuEccDoubleBitErrors r0001-t07/0',
    ]);
    expect(result.events[1]!.annotations).toMatchObject({ value: '3', increase: '3' });
  });

  it('tells a counter reset from an ECC burst: a restart is no error, an error after it is', () => {
    expectAlerts(runScenario({ duration: '3m', series: { [GPU]: { ecc_dbe_vol: '2x59 0' } } }), []);
    // A driver reload behind a 40 s gap in the host's data: the host was silent, the counter restarted, no ECC page.
    expectAlerts(
      runScenario({ duration: '3m', series: { 'r0001-t07': { present: '1x59 0x39 1', ecc_dbe_vol: '2x59 _x40 0' } } }),
      ['1m35s firing HostSilent r0001-t07', '1m45s resolved HostSilent r0001-t07'],
    );
    const after = runScenario({ duration: '3m', series: { [GPU]: { ecc_dbe_vol: '2x59 0x59 1' } } });
    expectAlerts(after, ['2m firing GpuEccDoubleBitErrors r0001-t07/0']);
    expect(after.events[0]!.annotations).toMatchObject({ value: '1', increase: '1' });
  });

  it('pages a row-remap failure while it is reported', () => {
    expectAlerts(runScenario({ duration: '6m', series: { [GPU]: { row_remap_failure: '0x59 1x239 0' } } }), [
      '1m firing GpuRowRemapFailure r0001-t07/0',
      '5m resolved GpuRowRemapFailure r0001-t07/0',
    ]);
  });

  it('pages a sustained HW power brake, not a brief one', () => {
    const result = runScenario({ duration: '4m', series: { [GPU]: { clock_events: '0x59 136x59 0' } } });
    expectAlerts(result, [
      '1m10s firing GpuPowerBrakeSlowdown r0001-t07/0',
      '3m resolved GpuPowerBrakeSlowdown r0001-t07/0',
    ]);
    expect(result.events[0]!.labels.category).toBe('hardware');
    expect(result.events[0]!.annotations.summary).toMatch(/HW power brake for 10 s$/);
    expectAlerts(runScenario({ duration: '3m', series: { [GPU]: { clock_events: '0x59 128x5 0' } } }), []);
  });
});
