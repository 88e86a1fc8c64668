import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentWindowStart, sampleBatch, tempDir } from '@kiln/testkit';
import { createStore, type Store } from '../src/index.js';

/** The reads ingest's identity check makes, against a store on a database of its own name (not `kiln`). */
describe('sample identity reads', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  const t0 = recentWindowStart();

  beforeAll(async () => {
    dir = await tempDir();
    store = await createStore({ dataDir: dir.path, database: 'fleet_b' });
    await store.migrate();
    const stored = [0, 1, 2].map((i) => ({ ts: t0 + i * 1000, host: 'h1', gpu: 0 }));
    await store.insertSamples(sampleBatch([...stored, { ts: t0, host: 'h1', gpu: 1 }]), 'identity:1');
  });
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  it("gives each row its GPU's newest stored ts, from the rows' earliest on; -Infinity where nothing is stored", async () => {
    const batch = sampleBatch([
      { ts: t0 + 5000, host: 'h1', gpu: 0 },
      { ts: t0 + 500, host: 'h1', gpu: 1 },
      { ts: t0 + 5000, host: 'h2', gpu: 0 },
      { ts: t0 + 6000, host: 'h1', gpu: 0 },
    ]);
    expect([...(await store.newestStored(batch, [0, 1, 2, 3]))]).toEqual([t0 + 2000, -Infinity, -Infinity, t0 + 2000]);
  });

  it('finds the rows whose identity is stored', async () => {
    const batch = sampleBatch([
      { ts: t0 + 1000, host: 'h1', gpu: 0 },
      { ts: t0 + 1500, host: 'h1', gpu: 0 },
      { ts: t0, host: 'h1', gpu: 1 },
      { ts: t0, host: 'h1', gpu: 2 },
    ]);
    expect([...(await store.storedIdentities(batch, [0, 1, 2, 3]))].sort()).toEqual([0, 2]);
  });
});
