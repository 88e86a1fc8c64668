import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, isTransientError, RetriesExhaustedError, type RetryEvent, type Store } from '../src/index.js';
import { withRetry } from '../src/insert/retry.js';
import { recentWindowStart, sampleBatch, tempDir } from '@kiln/testkit';

const chError = (code: number, type: string) =>
  Object.assign(new Error(`boom (${type})`), { code: String(code), type });
const sysError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('transient errors', () => {
  it.each([
    ['ECONNRESET', sysError('ECONNRESET')],
    ['ECONNREFUSED', sysError('ECONNREFUSED')],
    ['EPIPE', sysError('EPIPE')],
    ['socket hang up', new Error('socket hang up')],
    ['client timeout', new Error('Timeout error.')],
    ['a proxy’s 502 page', new Error('<html><head><title>502 Bad Gateway</title></head></html>')],
    ['TOO_MANY_PARTS', chError(252, 'TOO_MANY_PARTS')],
    ['TIMEOUT_EXCEEDED', chError(159, 'TIMEOUT_EXCEEDED')],
    ['UNKNOWN_STATUS_OF_INSERT', chError(319, 'UNKNOWN_STATUS_OF_INSERT')],
  ])('retries %s', (_, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['SYNTAX_ERROR', chError(62, 'SYNTAX_ERROR')],
    ['UNKNOWN_TABLE', chError(60, 'UNKNOWN_TABLE')],
    ['CANNOT_PARSE_INPUT_ASSERTION_FAILED', chError(27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED')],
    ['READONLY', chError(164, 'READONLY')],
    ['a plain error', new Error('invalid table name')],
    ['not an error', 'ECONNRESET'],
  ])('does not retry %s', (_, error) => {
    expect(isTransientError(error)).toBe(false);
  });

  it('stops at the first non-transient error and after maxAttempts transient ones', async () => {
    const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
    const events: RetryEvent[] = [];
    let calls = 0;
    await expect(
      withRetry(
        'op',
        policy,
        (e) => events.push(e),
        async () => {
          calls++;
          throw chError(62, 'SYNTAX_ERROR');
        },
      ),
    ).rejects.toMatchObject({ type: 'SYNTAX_ERROR' });
    expect([calls, events.length]).toEqual([1, 0]);

    calls = 0;
    const failure = withRetry(
      'insert into t',
      policy,
      (e) => events.push(e),
      async () => {
        calls++;
        throw sysError('ECONNRESET');
      },
    );
    await expect(failure).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failure).rejects.toThrow(/insert into t failed after 3 attempts .*ECONNRESET/);
    expect([calls, events.map((e) => e.attempt)]).toEqual([3, [1, 2]]);
  });
});

/** Nothing listens at the returned URL. */
async function closedPort(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('what the store retries', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  const events: RetryEvent[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    store = await createStore({ dataDir: dir.path, onRetry: (e) => events.push(e) });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  it('makes one attempt per insert: retrying a write is its writer’s decision', async () => {
    const retries: RetryEvent[] = [];
    const unreachable = await createStore({
      dataDir: dir.path,
      url: await closedPort(),
      retry: { baseDelayMs: 1 },
      onRetry: (e) => retries.push(e),
    });
    try {
      const failing = unreachable.insertSamples(sampleBatch([{ ts: recentWindowStart() }]), 'nowhere');
      await expect(failing).rejects.toThrow(/ECONNREFUSED/);
      await expect(failing).rejects.not.toBeInstanceOf(RetriesExhaustedError);
      expect(retries).toEqual([]);
    } finally {
      await unreachable.close();
    }
  });

  it('gives a read up after the configured attempts when nothing listens, with a clear error', async () => {
    const retries: RetryEvent[] = [];
    const unreachable = await createStore({
      dataDir: dir.path,
      url: await closedPort(),
      retry: { maxAttempts: 3, baseDelayMs: 1 },
      onRetry: (e) => retries.push(e),
    });
    try {
      await expect(unreachable.query('SELECT 1')).rejects.toThrow(/query failed after 3 attempts .*ECONNREFUSED/);
      expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    } finally {
      await unreachable.close();
    }
  });

  it('does not retry a read that names no such column', async () => {
    events.length = 0;
    await expect(store.query('SELECT no_such_column FROM kiln.gpu_samples')).rejects.toMatchObject({ code: '47' });
    expect(events).toEqual([]);
  });
});
