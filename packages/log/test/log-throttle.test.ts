import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../src/index.js';

describe('LogThrottle', () => {
  it('lets the first event through, then one per interval', () => {
    let now = 1_000_000;
    const throttle = new LogThrottle(60_000, () => now);
    const seen: number[] = [];
    for (let second = 0; second < 150; second++) {
      if (throttle.allow()) seen.push(second);
      now += 1_000;
    }
    expect(seen).toEqual([0, 60, 120]);
  });

  it('lets an event of another kind through at once', () => {
    let now = 0;
    const throttle = new LogThrottle(60_000, () => now);
    expect([throttle.allow('a'), throttle.allow('a'), throttle.allow('b'), throttle.allow('b')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    now = 60_000;
    expect(throttle.allow('b')).toBe(true);
  });
});
