import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { startTestNatsServer, type TestNatsServer } from '@kiln/testkit';
import { CheckpointStore, FencedError } from '../src/index.js';

describe('checkpoint', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  beforeAll(async () => {
    nats = await startTestNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await new Kvm(jetstream(nc)).create('kiln_aggregator_test', { history: 1 });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('starts at zero, and a new owner’s claim fences every later write of the old one', async () => {
    const old = new CheckpointStore(kv, 'p0');
    expect(await old.claim()).toEqual({ stored: 0 });
    await old.write({ stored: 10, pending: { first: 11, last: 20, nowMs: 5 } });

    const next = new CheckpointStore(kv, 'p0');
    expect(await next.claim()).toEqual({ stored: 10, pending: { first: 11, last: 20, nowMs: 5 } });
    await expect(old.write({ stored: 20 })).rejects.toBeInstanceOf(FencedError);
    await next.write({ stored: 20 });
    expect(await new CheckpointStore(kv, 'p0').claim()).toEqual({ stored: 20 });
  });

  it('two owners claiming at once: each claim takes over from the one before, and only the last may write', async () => {
    const a = new CheckpointStore(kv, 'p1');
    const b = new CheckpointStore(kv, 'p1');
    await Promise.all([a.claim(), b.claim()]);
    const results = await Promise.allSettled([a.write({ stored: 1 }), b.write({ stored: 2 })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof FencedError)).toHaveLength(1);
  });
});
