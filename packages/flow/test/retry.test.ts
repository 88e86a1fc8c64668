import { describe, expect, it } from 'vitest';
import { retry, type RetryEvent } from '../src/index.js';

const fast = { initialDelayMs: 1, maxDelayMs: 4 };

/** An operation that fails with `errors` in turn, then answers 'done'. */
function failing(...errors: Error[]): { op: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    op: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

describe('retry', () => {
  it('tries again until the operation succeeds, reporting each retry', async () => {
    const { op, calls } = failing(new Error('a'), new Error('b'));
    const events: RetryEvent[] = [];
    await expect(retry(op, { backoff: fast, onRetry: (e) => events.push(e) })).resolves.toBe('done');
    expect(calls()).toBe(3);
    expect(events.map((e) => [e.attempt, (e.error as Error).message])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('throws a failure that is not retryable at once, as it is', async () => {
    const fatal = new Error('fatal');
    const { op, calls } = failing(new Error('transient'), fatal);
    await expect(retry(op, { backoff: fast, retryable: (e) => (e as Error).message === 'transient' })).rejects.toBe(
      fatal,
    );
    expect(calls()).toBe(2);
  });

  it('gives up after maxAttempts with the last failure', async () => {
    const last = new Error('3');
    const { op, calls } = failing(new Error('1'), new Error('2'), last, new Error('4'));
    await expect(retry(op, { backoff: fast, maxAttempts: 3 })).rejects.toBe(last);
    expect(calls()).toBe(3);
  });

  it('gives up when the next attempt would start past maxElapsedMs', async () => {
    const { op, calls } = failing(new Error('1'), new Error('2'));
    await expect(
      retry(op, { backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 }, maxElapsedMs: 1_000 }),
    ).rejects.toThrow('1');
    expect(calls()).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const { op } = failing(new Error('1'));
    const pending = retry(op, {
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
      signal: controller.signal,
      onRetry: () => controller.abort(),
    });
    await expect(pending).rejects.toThrow(/abort/i);
  });
});
