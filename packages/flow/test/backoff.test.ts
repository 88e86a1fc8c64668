import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from '../src/index.js';

describe('backoffDelay', () => {
  const policy = { initialDelayMs: 250, maxDelayMs: 30_000 };

  it('doubles from the first delay to the cap, jittered within the upper half of each step', () => {
    const high = [1, 2, 3, 4, 8, 20, 5000].map((n) => backoffDelay(policy, n, () => 1));
    const low = [1, 2, 3, 4, 8, 20, 5000].map((n) => backoffDelay(policy, n, () => 0));
    expect(high).toEqual([250, 500, 1000, 2000, 30_000, 30_000, 30_000]);
    expect(low).toEqual(high.map((d) => d / 2));
  });

  it('grows by the multiplier', () => {
    expect([1, 2, 3].map((n) => backoffDelay({ ...policy, multiplier: 3 }, n, () => 1))).toEqual([250, 750, 2250]);
  });
});

describe('Backoff', () => {
  it('steps up per failure and starts over after reset()', () => {
    const b = new Backoff({ initialDelayMs: 500, maxDelayMs: 15_000 }, () => 1);
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it('spreads processes that fail together: two backoffs do not wait alike', () => {
    const policy = { initialDelayMs: 500, maxDelayMs: 15_000 };
    const [a, b] = [new Backoff(policy), new Backoff(policy)];
    const delays = (x: Backoff) => Array.from({ length: 8 }, () => x.next());
    expect(delays(a)).not.toEqual(delays(b));
  });
});
