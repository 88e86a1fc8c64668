import { describe, expect, it } from 'vitest';
import { toAlert, validateAlertEvent } from '../src/index.js';
import { gpuAlertEvent, resolvedOf, T0 } from './helpers.js';

function errorsOf(input: unknown): readonly string[] {
  const v = validateAlertEvent(input);
  return v.ok ? [] : v.errors;
}

describe('validateAlertEvent', () => {
  it('accepts contract events and returns only the contract fields', () => {
    const v = validateAlertEvent({ ...resolvedOf(gpuAlertEvent()), extra: 1 });
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.event).toEqual(resolvedOf(gpuAlertEvent()));
      expect(v.event).not.toHaveProperty('extra');
    }
    const rackWide = gpuAlertEvent({
      labels: { alertname: 'RackCoolingFailure', severity: 'critical', category: 'thermal', cluster: 'c', rack: 'r1' },
    });
    expect(errorsOf(rackWide)).toEqual([]);
  });

  it('names every problem', () => {
    const errors = errorsOf({
      labels: {
        alertname: 'X',
        severity: 'page',
        category: 'thermal',
        rack: 'r1',
        gpu: '9',
        'bad-name': 'v',
        empty: '',
      },
      annotations: { summary: 'hot' },
      status: 'open',
      startsAt: 1.5,
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'labels.cluster: required',
        'labels.severity: expected one of critical|warning|info, got "page"',
        'labels.gpu: expected a GPU index 0..7 as a string, got "9"',
        'labels.host: required when labels.gpu is set',
        'labels.uuid: required when labels.gpu is set',
        'labels: name "bad-name" does not match [a-zA-Z_][a-zA-Z0-9_]*',
        'labels.empty: empty; omit the label instead',
        'annotations.description: required, a non-empty string',
        'status: expected "firing" or "resolved", got "open"',
        'startsAt: expected Unix milliseconds (a positive integer), got number 1.5',
      ]),
    );
    expect(errors).toHaveLength(10);
  });

  it('checks endsAt against status and startsAt', () => {
    expect(errorsOf({ ...gpuAlertEvent(), endsAt: T0 + 1 })).toEqual(['endsAt: only a resolved alert has one']);
    expect(errorsOf({ ...gpuAlertEvent(), status: 'resolved' })).toEqual([
      'endsAt: a resolved alert needs Unix milliseconds, got nothing',
    ]);
    expect(errorsOf(resolvedOf(gpuAlertEvent(), T0 - 1))).toEqual([`endsAt: ${T0 - 1} is before startsAt ${T0}`]);
  });

  it('rejects non-objects and non-string label values', () => {
    expect(errorsOf(null)).toEqual(['alert event: expected an object, got null']);
    expect(errorsOf({ ...gpuAlertEvent(), labels: { ...gpuAlertEvent().labels, gpu: 3 } })).toContain(
      'labels.gpu: expected a string, got number 3',
    );
  });

  it('holds an alert from any other sender to Alertmanager’s rules only', () => {
    const prometheus = {
      labels: { alertname: 'DiskFull', severity: 'page', 'service.name': 'db' },
      annotations: {},
      status: 'firing',
      startsAt: T0,
    };
    expect(validateAlertEvent(prometheus, 'any')).toEqual({ ok: true, event: prometheus });
    expect(errorsOf(prometheus)).toContain('labels.cluster: required');
    const bad = validateAlertEvent({ ...prometheus, labels: { '': 'x', ok: '', lone: '\ud800' } }, 'any');
    expect(bad.ok ? [] : bad.errors).toEqual([
      'labels: name "" is not a non-empty UTF-8 string',
      'labels.ok: empty; omit the label instead',
      'labels.lone: not valid UTF-8',
    ]);
    const none = validateAlertEvent({ ...prometheus, labels: {} }, 'any');
    expect(none.ok ? [] : none.errors).toEqual(['labels: at least one label is required']);
  });

  it('toAlert adds the fingerprint of the labels', () => {
    const a = toAlert(gpuAlertEvent());
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(toAlert(resolvedOf(gpuAlertEvent())).fingerprint).toBe(a.fingerprint);
  });
});
