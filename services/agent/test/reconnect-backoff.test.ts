import { describe, expect, it } from 'vitest';
import { reconnectBackoff } from '../src/publish/nats-link.js';

describe('reconnecting to NATS', () => {
  it('two agents cut off by the same outage do not retry in lockstep', () => {
    const [a, b] = [reconnectBackoff(), reconnectBackoff()];
    const delays = (agent: typeof a) => Array.from({ length: 6 }, () => agent.next());
    const [first, second] = [delays(a), delays(b)];
    expect(first).not.toEqual(second);
    // Spread, but still backing off: each delay within the upper half of its doubling step, capped at 15 s.
    for (const d of [first, second])
      d.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(Math.min(15_000, 500 * 2 ** i) / 2));
  });
});
