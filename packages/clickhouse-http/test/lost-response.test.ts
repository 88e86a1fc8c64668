import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '@kiln/store';
import { recentWindowStart, sampleBatch, tempDir } from '@kiln/testkit';
import { serveClickHouseHttp, type ClickHouseHttpServer } from '../src/index.js';

/**
 * A write whose response is lost on the way back: the store makes one attempt and reports the failure, and its writer
 * (ingest's committer) sends it again under the same token, which the server's deduplication drops.
 */
describe('an insert whose response was lost', () => {
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

  it('fails, and is stored once when sent again under the same token', async () => {
    const remote = await createStore({ dataDir: dir.path, url: proxyUrl, ...writer });
    try {
      cutInserts = 1;
      const rows = [0, 1, 2, 3].map((gpu) => ({
        ts: recentWindowStart(),
        host: 'lost-response',
        gpu,
        values: { temp_c: 50 },
      }));
      await expect(remote.insertSamples(sampleBatch(rows), 'lost-response:1')).rejects.toThrow();
      await remote.insertSamples(sampleBatch(rows), 'lost-response:1');
      const [stored] = await store.query<{ n: number }>(
        "SELECT toUInt32(count()) AS n FROM kiln.gpu_samples WHERE host = 'lost-response'",
      );
      expect(stored!.n).toBe(4);
    } finally {
      await remote.close();
    }
  });
});
