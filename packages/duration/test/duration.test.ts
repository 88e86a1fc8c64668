import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/index.js';

describe('parseDuration', () => {
  it('reads what configurations, fault specs and the command line write', () => {
    const cases: [string, number][] = [
      ['500ms', 500],
      ['30s', 30_000],
      ['5m', 300_000],
      ['4h', 14_400_000],
      ['1h30m', 5_400_000],
      ['2d', 172_800_000],
      ['1w', 604_800_000],
      ['1y', 31_536_000_000],
      ['1.5s', 1_500],
      ['1.1s', 1_100],
      ['1h2m3s4ms', 3_723_004],
      ['0', 0],
      ['0s', 0],
    ];
    expect(cases.map(([text]) => parseDuration(text))).toEqual(cases.map(([, ms]) => ms));
  });

  it('refuses what is not one: no unit, units out of order or twice, a fraction of a millisecond', () => {
    for (const text of ['', '10', 's', '5 m', '30s5m', '1m1m', '0.5ms', '-1s', '1e3s', '1.s'])
      expect(parseDuration(text), text).toBeUndefined();
  });

  it('formats in the largest units, as it reads them back', () => {
    expect([0, 500, 90_000, 3_723_004, 86_400_000 + 1_000].map(formatDuration)).toEqual([
      '0s',
      '500ms',
      '1m30s',
      '1h2m3s4ms',
      '1d1s',
    ]);
    for (const ms of [1, 59_999, 5_400_000, 777_777_777]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
