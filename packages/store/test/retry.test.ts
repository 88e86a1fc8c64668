import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStore,
  isTransientError,
  RetriesExhaustedError,
  serveClickHouseHttp,
  type ClickHouseHttpServer,
  type RetryEvent,
  type Store,
} from '../src/index.js';
import { backoffDelay, withRetry } from '../src/insert/retry.js';
import { recentWindowStart, sampleBatch, tempDir } from './helpers.js';

const chError = (code: number, type: string) => Object.assign(new Error(`boom (${type})`), { code: String(code), type });
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

  it('backs off exponentially up to the cap, with jitter in the upper half', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(200);
  });

  it('stops at the first non-transient error and after maxAttempts transient ones', async () => {
    const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
    const events: RetryEvent[] = [];
    let calls = 0;
    await expect(
      withRetry('op', policy, (e) => events.push(e), async () => {
        calls++;
        throw chError(62, 'SYNTAX_ERROR');
      }),
    ).rejects.toMatchObject({ type: 'SYNTAX_ERROR' });
    expect([calls, events.length]).toEqual([1, 0]);

    calls = 0;
    const failure = withRetry('insert into t', policy, (e) => events.push(e), async () => {
      calls++;
      throw sysError('ECONNRESET');
    });
    await expect(failure).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failure).rejects.toThrow(/insert into t failed after 3 attempts .*ECONNRESET/);
    expect([calls, events.map((e) => e.attempt)]).toEqual([3, [1, 2]]);
  });
});

describe('retried inserts against a server', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  let server: ClickHouseHttpServer;
  let proxy: Server;
  let proxyUrl: string;
  /** Inserts whose response the proxy swallows (cutting the connection) after the server has stored them. */
  let cutInserts = 0;
  const writer = { user: 'kiln', password: 'pw' };

  beforeAll(async () => {
    dir = await tempDir();
    store = await createStore({ dataDir: dir.path });
    await store.migrate();
    server = await serveClickHouseHttp(store, { listen: '127.0.0.1:0', writer });
    proxy = createServer((req, res) => {
      const upstream = request(`${server.url}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        if (cutInserts > 0 && (req.url ?? '').includes('INSERT')) {
          cutInserts--;
          up.resume();
          req.socket.destroy();
          return;
        }
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await server.close();
    await store.close();
    await dir.remove();
  });

  it('stores an insert once when its response was lost and the retry carries the same token', async () => {
    const events: RetryEvent[] = [];
    const remote = await createStore({
      dataDir: dir.path,
      url: proxyUrl,
      ...writer,
      retry: { baseDelayMs: 5 },
      onRetry: (e) => events.push(e),
    });
    try {
      cutInserts = 1;
      const rows = [0, 1, 2, 3].map((gpu) => ({ ts: recentWindowStart(), host: 'lost-response', gpu, values: { temp_c: 50 } }));
      await remote.insertSamples(sampleBatch(rows), 'lost-response:1');
      expect(events).toHaveLength(1);
      expect(events[0]!.operation).toBe('insert into kiln.gpu_samples');
      const [stored] = await store.query<{ n: number }>("SELECT toUInt32(count()) AS n FROM kiln.gpu_samples WHERE host = 'lost-response'");
      expect(stored!.n).toBe(4);
    } finally {
      await remote.close();
    }
  });

  it('gives up after the configured attempts when nothing listens, with a clear error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const events: RetryEvent[] = [];
    const unreachable = await createStore({
      dataDir: dir.path,
      url: `http://127.0.0.1:${port}`,
      retry: { maxAttempts: 3, baseDelayMs: 1 },
      onRetry: (e) => events.push(e),
    });
    try {
      await expect(unreachable.insertSamples(sampleBatch([{ ts: recentWindowStart() }]), 'nowhere')).rejects.toThrow(
        /insert into kiln\.gpu_samples failed after 3 attempts .*ECONNREFUSED/,
      );
      expect(events.map((e) => e.attempt)).toEqual([1, 2]);
    } finally {
      await unreachable.close();
    }
  });

  it('does not retry a schema error', async () => {
    const events: RetryEvent[] = [];
    const remote = await createStore({ dataDir: dir.path, url: server.url, ...writer, onRetry: (e) => events.push(e) });
    try {
      await expect(remote.insertRows('gpu_samples', ['no_such_column'], [[1]], 'schema')).rejects.toMatchObject({ code: '16' });
      expect(events).toEqual([]);
    } finally {
      await remote.close();
    }
  });
});
