import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startTestNatsServer, type TestNatsServer } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStateStore } from '../src/index.js';

let nats: TestNatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.dispose();
});

describe('KvStateStore', () => {
  it('keeps values across a reopen, forgets deleted keys, and compacts deletion markers away', async () => {
    const store = await KvStateStore.open<{ n: number }>(jetstream(nc), 'test_state', 1);
    for (let n = 0; n < 600; n++) await store.put(`k${n}`, { n });
    await store.put('k1', { n: 100 });
    for (let n = 300; n < 600; n++) await store.delete(`k${n}`);
    const reopened = await KvStateStore.open<{ n: number }>(jetstream(nc), 'test_state', 1);
    const loaded = await reopened.load();
    expect(loaded.size).toBe(300);
    expect(loaded.get('k1')).toEqual({ n: 100 });
    expect(loaded.has('k300')).toBe(false);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('KV_test_state')).state.messages).toBe(600);
    expect(await reopened.compact(0)).toBe(300);
    expect((await jsm.streams.info('KV_test_state')).state.messages).toBe(300);
  });
});
