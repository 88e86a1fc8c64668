import { describe, expect, it } from 'vitest';
import type { AlertEvent, Annotations, Labels } from '../src/index.js';
import { AlertLifecycle } from '../src/index.js';
import { T0 } from './helpers.js';

const labels: Labels = {
  alertname: 'GpuHot',
  severity: 'critical',
  category: 'thermal',
  cluster: 'c1',
  rack: 'r1',
  host: 'h1',
  gpu: '0',
  uuid: 'GPU-00000000',
};
const note = (temp: number): Annotations => ({ summary: `at ${temp} °C`, description: 'd' });
const s = (seconds: number) => T0 + seconds * 1000;

/** Feeds `pattern` (1 = condition holds, 0 = not), one observation every 10 s from T0, collecting events. */
function run(lifecycle: AlertLifecycle, pattern: string, key = 'k'): (AlertEvent | undefined)[] {
  return [...pattern].map((c, i) => lifecycle.observe(key, c === '1', s(i * 10), labels, note(80 + i)));
}

describe('AlertLifecycle', () => {
  it('stays pending until the condition has held for `for`, then fires once', () => {
    const lc = new AlertLifecycle({ for: 30_000, keepFiringFor: 0 });
    const events = run(lc, '11111');
    expect(events.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(events[3]).toEqual({ labels, annotations: note(83), status: 'firing', startsAt: s(30) });
    expect(events[4]).toBeUndefined();
    expect(lc.active()).toEqual([
      { key: 'k', state: 'firing', labels, annotations: note(84), activeAt: s(0), firedAt: s(30) },
    ]);
  });

  it('fires on the first observation without `for` and resolves on the first clear without keepFiringFor', () => {
    const lc = new AlertLifecycle({ for: 0, keepFiringFor: 0 });
    const events = run(lc, '110');
    expect(events[0]).toMatchObject({ status: 'firing', startsAt: s(0) });
    expect(events[2]).toEqual({ labels, annotations: note(81), status: 'resolved', startsAt: s(0), endsAt: s(20) });
    expect(lc.size).toBe(0);
  });

  it('drops a pending alert whose condition clears, and restarts `for` from zero', () => {
    const lc = new AlertLifecycle({ for: 30_000, keepFiringFor: 0 });
    const events = run(lc, '110111');
    expect(events.every((e) => e === undefined)).toBe(true);
    expect(lc.active()).toMatchObject([{ state: 'pending', activeAt: s(30) }]);
    expect(lc.observe('k', true, s(60), labels, note(6))).toMatchObject({ status: 'firing', startsAt: s(60) });
  });

  it('keeps a cleared alert firing for keepFiringFor, restarting the period when the condition returns', () => {
    const lc = new AlertLifecycle({ for: 0, keepFiringFor: 40_000 });
    //                      t: 0 10 20 30 40 50 60
    const events = run(lc, '1010000');
    expect(events[0]).toMatchObject({ status: 'firing' });
    expect(events.slice(1).every((e) => e === undefined)).toBe(true); // cleared at 30, kept until 70
    expect(lc.active()).toMatchObject([{ state: 'firing', clearedAt: s(30) }]);
    expect(lc.observe('k', false, s(70), labels, note(0))).toEqual({
      labels,
      annotations: note(82),
      status: 'resolved',
      startsAt: s(0),
      endsAt: s(70),
    });
    expect(lc.observe('k', false, s(80), labels, note(0))).toBeUndefined();
  });

  it('advance resolves kept-firing alerts when event time passes their end, and never fires pending ones', () => {
    const lc = new AlertLifecycle({ for: 20_000, keepFiringFor: 60_000 });
    run(lc, '1110', 'kept'); // fires at 20, cleared at 30
    lc.observe('pending', true, s(0), labels, note(1));
    expect(lc.advance(s(89))).toEqual([]);
    expect(lc.advance(s(1000))).toMatchObject([{ status: 'resolved', startsAt: s(20), endsAt: s(90) }]);
    expect(lc.active()).toMatchObject([{ key: 'pending', state: 'pending' }]);
    expect(lc.stateOf('pending')).toBe('pending');
    expect(lc.stateOf('kept')).toBeUndefined();
  });

  it('fixes the labels for the episode, follows the latest annotations, ignores observations from the past', () => {
    const lc = new AlertLifecycle({ for: 10_000, keepFiringFor: 0 });
    lc.observe('k', true, s(0), labels, note(1));
    expect(lc.observe('k', true, s(20), { ...labels, severity: 'warning' }, note(2))).toMatchObject({
      labels,
      annotations: note(2),
    });
    expect(lc.observe('k', false, s(10), labels, note(3))).toBeUndefined();
    expect(lc.stateOf('k')).toBe('firing');
  });

  it('stores nothing for keys whose condition does not hold', () => {
    const lc = new AlertLifecycle({ for: 0, keepFiringFor: 0 });
    for (let i = 0; i < 1000; i++) lc.observe(`gpu/${i}`, false, s(i), labels, note(0));
    expect(lc.size).toBe(0);
  });

  it('yields identical events when the same observations are replayed', () => {
    const patterns = ['0011111100000011', '1111000011110000', '0101010101010101'];
    const replay = () => {
      const lc = new AlertLifecycle({ for: 20_000, keepFiringFor: 30_000 });
      const events: AlertEvent[] = [];
      for (let i = 0; i < patterns[0]!.length; i++) {
        patterns.forEach((p, k) => {
          const e = lc.observe(`key${k}`, p[i] === '1', s(i * 10), { ...labels, gpu: String(k) }, note(i));
          if (e) events.push(e);
        });
      }
      events.push(...lc.advance(s(1000)));
      return events;
    };
    const first = replay();
    expect(first.map((e) => `${e.labels['gpu']}:${e.status}`)).toEqual([
      '1:firing',
      '0:firing',
      '1:resolved',
      '1:firing',
      '0:resolved',
      '1:resolved',
    ]);
    expect(replay()).toEqual(first);
  });

  it('rejects negative durations', () => {
    expect(() => new AlertLifecycle({ for: -1, keepFiringFor: 0 })).toThrow(/for must be a non-negative/);
  });
});
