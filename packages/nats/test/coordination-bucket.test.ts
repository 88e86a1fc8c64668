import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { openCoordinationBucket, startNatsServer, type NatsServerHandle } from '../src/index.js';

describe('openCoordinationBucket', () => {
  let dir: string;
  let server: NatsServerHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-coordination-'));
    server = await startNatsServer({ dir });
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The JetStream API subjects a client sends its requests to, as the server sees them. */
  async function apiRequestsDuring(action: () => Promise<unknown>): Promise<string[]> {
    const watcher = await connect({ servers: server.url });
    const seen: string[] = [];
    const sub = watcher.subscribe('$JS.API.>', {
      callback: (_err, msg) => {
        seen.push(msg.subject);
      },
    });
    await watcher.flush();
    await action();
    await nc.flush();
    await watcher.flush();
    sub.unsubscribe();
    await watcher.close();
    return seen;
  }

  it('reads every key from the stream leader, never by direct get that any replica may answer', async () => {
    const kv = await openCoordinationBucket(jetstream(nc), 'kiln_coordination_test', { replicas: 1, ttlMs: 60_000 });
    await kv.put('lease', 'a');
    const requests = await apiRequestsDuring(() => kv.get('lease'));
    expect(requests).toContain('$JS.API.STREAM.MSG.GET.KV_kiln_coordination_test');
    expect(requests.filter((s) => s.startsWith('$JS.API.DIRECT.GET'))).toEqual([]);
    expect((await (await jetstreamManager(nc)).streams.info('KV_kiln_coordination_test')).config.allow_direct).toBe(
      false,
    );
  });

  it('does so on a bucket an earlier version created with direct gets allowed', async () => {
    await new Kvm(jetstream(nc)).create('kiln_coordination_old', { history: 1 });
    expect((await (await jetstreamManager(nc)).streams.info('KV_kiln_coordination_old')).config.allow_direct).toBe(
      true,
    );
    const kv = await openCoordinationBucket(jetstream(nc), 'kiln_coordination_old', { replicas: 1 });
    await kv.put('checkpoint', '1');
    const requests = await apiRequestsDuring(() => kv.get('checkpoint'));
    expect(requests.filter((s) => s.startsWith('$JS.API.DIRECT.GET'))).toEqual([]);
    expect((await kv.get('checkpoint'))?.string()).toBe('1');
  });
});
