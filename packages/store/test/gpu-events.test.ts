import type { XidEvent } from '@kiln/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../src/index.js';
import { tempDir } from '@kiln/testkit';

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;

beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

const base = {
  v: 1,
  cluster: 'c1',
  rack: 'r0001',
  host: 'r0001-t01',
  kind: 'xid',
  message: 'GPU has fallen off the bus.',
} as const;

describe('gpu_events', () => {
  it('stores one row per event, a GPU-less event with NULL gpu, and a retried insert once', async () => {
    const ts = Date.now() - 60_000;
    const events: XidEvent[] = [
      { ...base, seq: 1, ts, gpu: 2, uuid: 'GPU-00000000-0000-0000-0000-000000000002', code: 79 },
      { ...base, seq: 2, ts: ts + 1, gpu: 2, uuid: 'GPU-00000000-0000-0000-0000-000000000002', code: 79 },
      { ...base, seq: 3, ts: ts + 2, code: 31, message: 'MMU Fault' },
    ];
    await store.insertEvents(events, 'gpu_events:test:1-3');
    await store.insertEvents(events, 'gpu_events:test:1-3');
    const rows = await store.query<{ seq: string; gpu: number | null; uuid: string; code: number; ms: string }>(
      'SELECT toString(seq) AS seq, gpu, uuid, code, toString(toUnixTimestamp64Milli(ts)) AS ms FROM kiln.gpu_events ORDER BY seq',
    );
    expect(rows).toEqual([
      { seq: '1', gpu: 2, uuid: 'GPU-00000000-0000-0000-0000-000000000002', code: 79, ms: String(ts) },
      { seq: '2', gpu: 2, uuid: 'GPU-00000000-0000-0000-0000-000000000002', code: 79, ms: String(ts + 1) },
      { seq: '3', gpu: null, uuid: '', code: 31, ms: String(ts + 2) },
    ]);
  });
});
