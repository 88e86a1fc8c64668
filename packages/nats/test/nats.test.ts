import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALERT_STREAM,
  DLQ_STREAM,
  EVENT_STREAM,
  GPU_STREAM,
  connectNats,
  ensureStreams,
  natsConnectionOptions,
  startNatsServer,
  NatsServerMissingError,
  type NatsServerHandle,
} from '../src/index.js';

describe('nats', () => {
  let dir: string;
  let server: NatsServerHandle;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-nats-test-'));
    server = await startNatsServer({ dir, port: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts nats-server on a free port with JetStream and stops it', async () => {
    expect(server.port).toBeGreaterThan(0);
    const nc = await connectNats({}, { name: 'test', servers: server.url });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.getAccountInfo()).limits).toBeDefined();
    await nc.close();
  });

  it('creates the streams idempotently, from several callers at once', async () => {
    const nc = await connectNats({}, { name: 'test', servers: server.url });
    const jsm = await jetstreamManager(nc);
    await Promise.all([ensureStreams(jsm, { replicas: 1 }), ensureStreams(jsm, { replicas: 1 })]);
    await ensureStreams(jsm, { replicas: 1, gpuMaxAgeMs: 3_600_000 });
    const names: string[] = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    expect(names.sort()).toEqual([ALERT_STREAM, DLQ_STREAM, EVENT_STREAM, GPU_STREAM].sort());
    const gpu = await jsm.streams.info(GPU_STREAM);
    expect(gpu.config.subjects).toEqual(['kiln.v1.gpu.>']);
    expect(gpu.config.max_age).toBe(3_600_000 * 1_000_000); // updated in place
    await nc.close();
  });

  it('maps the config section to connection options', async () => {
    const section = { url: ['nats://a:4222', 'nats://b:4222'], user: 'u', password: 'p' };
    const opts = await natsConnectionOptions(section, { name: 'kiln-x', inboxPrefix: '_INBOX_h1' });
    expect(opts).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      user: 'u',
      pass: 'p',
      name: 'kiln-x',
      inboxPrefix: '_INBOX_h1',
      maxReconnectAttempts: -1,
    });
  });

  it('says how to install nats-server when it is missing', async () => {
    await expect(startNatsServer({ dir, binary: 'nats-server-that-does-not-exist' })).rejects.toThrow(
      NatsServerMissingError,
    );
    await expect(startNatsServer({ dir, binary: 'nats-server-that-does-not-exist' })).rejects.toThrow(
      /apt-get install nats-server/,
    );
  });
});
