import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/index.js';

describe('durations in the configuration', () => {
  it('is the syntax of the configuration file: routing timers take fractions now, and still refuse nonsense', () => {
    const config = parseConfig({
      route: { receiver: 'ops', group_wait: '1.5s', repeat_interval: '1h30m' },
      notify: [{ name: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/x' }],
    });
    expect([config.route?.group_wait, config.route?.repeat_interval]).toEqual([1_500, 5_400_000]);
    expect(() =>
      parseConfig({
        route: { receiver: 'ops', group_wait: '5 minutes' },
        notify: [{ name: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/x' }],
      }),
    ).toThrow(/expected a duration/);
  });
});
