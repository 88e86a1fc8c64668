import { describe, expect, it } from 'vitest';
import { TimeoutError } from '@nats-io/nats-core';
import { retryTransient } from '../src/index.js';

describe('retryTransient', () => {
  it('tries again while JetStream is not there yet, and gives up on anything else at once', async () => {
    let calls = 0;
    const value = await retryTransient('probe', async () => {
      if (++calls < 3) throw new TimeoutError();
      return 'ok';
    });
    expect({ value, calls }).toEqual({ value: 'ok', calls: 3 });

    let refused = 0;
    await expect(
      retryTransient('probe', async () => {
        refused++;
        throw new Error('permissions violation');
      }),
    ).rejects.toThrow(/probe: Error: permissions violation/);
    expect(refused).toBe(1);
  });

  it('stops retrying at its deadline', async () => {
    await expect(retryTransient('probe', () => Promise.reject(new TimeoutError()), 250)).rejects.toThrow(
      /probe: .*timeout/,
    );
  });
});
