import { describe, expect, it } from 'vitest';
import { buildInhibitRules, fingerprint, Inhibitor, InhibitRuleError } from '../src/index.js';

const rules = buildInhibitRules([
  {
    source_matchers: ['alertname="RackCoolingFailure"'],
    target_matchers: ['category="thermal"', 'gpu=~".+"'],
    equal: ['cluster', 'rack'],
  },
  { source_matchers: ['severity="critical"'], target_matchers: ['severity=~"critical|warning"'], equal: ['host'] },
]);
const cooling = (rack: string) => ({
  alertname: 'RackCoolingFailure',
  severity: 'critical',
  category: 'thermal',
  cluster: 'c1',
  rack,
});
const gpuHot = (rack: string, gpu: string) => ({
  alertname: 'GpuHot',
  severity: 'warning',
  category: 'thermal',
  cluster: 'c1',
  rack,
  host: `${rack}-t01`,
  gpu,
});

describe('Inhibitor', () => {
  it('mutes per-GPU thermal alerts of the rack whose cooling failed, and only while the source fires', () => {
    const inhibitor = new Inhibitor(rules);
    const source = cooling('r1');
    const fp = fingerprint(source);
    inhibitor.update(fp, source, true);
    expect(inhibitor.inhibitedBy(fingerprint(gpuHot('r1', '0')), gpuHot('r1', '0'))).toEqual([fp]);
    expect(inhibitor.inhibitedBy(fingerprint(gpuHot('r2', '0')), gpuHot('r2', '0'))).toEqual([]);
    inhibitor.update(fp, source, false);
    expect(inhibitor.inhibitedBy(fingerprint(gpuHot('r1', '0')), gpuHot('r1', '0'))).toEqual([]);
  });

  it('does not let an alert inhibit itself, nor alerts that match both sides inhibit each other', () => {
    const inhibitor = new Inhibitor(rules);
    const a = { alertname: 'XidError', severity: 'critical', host: 'h1' };
    const b = { alertname: 'EccError', severity: 'critical', host: 'h1' };
    for (const l of [a, b]) inhibitor.update(fingerprint(l), l, true);
    expect(inhibitor.inhibitedBy(fingerprint(a), a)).toEqual([]);
    const warning = { alertname: 'GpuSlow', severity: 'warning', host: 'h1' };
    expect(inhibitor.inhibitedBy(fingerprint(warning), warning).sort()).toEqual(
      [fingerprint(a), fingerprint(b)].sort(),
    );
  });

  it('treats a missing equal label as empty, and names bad matchers', () => {
    const inhibitor = new Inhibitor(rules);
    const noHost = { alertname: 'X', severity: 'critical' };
    inhibitor.update(fingerprint(noHost), noHost, true);
    const alsoNoHost = { alertname: 'Y', severity: 'warning' };
    expect(inhibitor.inhibitedBy(fingerprint(alsoNoHost), alsoNoHost)).toEqual([fingerprint(noHost)]);
    expect(() => buildInhibitRules([{ source_matchers: ['x'], target_matchers: ['a="b"'] }])).toThrow(InhibitRuleError);
    expect(inhibitor.targetsOf(cooling('r9'))).toEqual([
      { rule: rules[0], key: 'c1\u00ffr9' },
      { rule: rules[1], key: '' },
    ]);
  });
});
