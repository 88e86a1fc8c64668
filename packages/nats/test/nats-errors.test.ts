import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  isConsumerNotFound,
  isStreamNameInUse,
  isStreamNotFound,
  isStreamOrConsumerNotFound,
  isTransientJetStreamError,
  isWrongLastSequence,
  startNatsServer,
  type NatsServerHandle,
} from '../src/index.js';

/** The error `op` rejects with. */
async function failure(op: () => Promise<unknown>): Promise<unknown> {
  try {
    await op();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const classifiers = {
  isStreamNotFound,
  isConsumerNotFound,
  isStreamOrConsumerNotFound,
  isStreamNameInUse,
  isWrongLastSequence,
  isTransientJetStreamError,
};
type Classifier = keyof typeof classifiers;

/** The names of the classifiers that accept `err`. */
const classify = (err: unknown): Classifier[] =>
  (Object.keys(classifiers) as Classifier[]).filter((name) => classifiers[name](err));

describe('NATS error classification, on a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-nats-errors-'));
    server = await startNatsServer({ dir });
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'S', subjects: ['s.>'] });
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing stream, a missing consumer', async () => {
    expect(classify(await failure(() => jsm.streams.info('MISSING')))).toEqual([
      'isStreamNotFound',
      'isStreamOrConsumerNotFound',
    ]);
    expect(classify(await failure(() => jsm.consumers.info('MISSING', 'c')))).toEqual([
      'isStreamNotFound',
      'isStreamOrConsumerNotFound',
    ]);
    expect(classify(await failure(() => jsm.consumers.info('S', 'missing')))).toEqual([
      'isConsumerNotFound',
      'isStreamOrConsumerNotFound',
    ]);
  });

  it('a stream name taken with another configuration', async () => {
    expect(classify(await failure(() => jsm.streams.add({ name: 'S', subjects: ['t.>'] })))).toEqual([
      'isStreamNameInUse',
    ]);
  });

  it('a KV compare-and-set on a stale revision, and a create of a key that exists', async () => {
    const kv = await new Kvm(jetstream(nc)).create('errors');
    const revision = await kv.create('k', 'v');
    expect(classify(await failure(() => kv.create('k', 'v')))).toEqual(['isWrongLastSequence']);
    expect(classify(await failure(() => kv.update('k', 'w', revision + 7)))).toEqual(['isWrongLastSequence']);
  });

  it('nobody answering and timeouts are transient', async () => {
    expect(classify(await failure(() => nc.request('nobody.listens', '', { timeout: 1_000 })))).toEqual([
      'isTransientJetStreamError',
    ]);
    const sub = nc.subscribe('silent');
    expect(classify(await failure(() => nc.request('silent', '', { timeout: 50 })))).toEqual([
      'isTransientJetStreamError',
    ]);
    sub.unsubscribe();
    // No stream takes the subject: nats.js reports the missing answer as JetStream not being there (yet).
    expect(classify(await failure(() => jetstream(nc).publish('no.stream', 'x')))).toEqual([
      'isTransientJetStreamError',
    ]);
  });

  it('message text alone means nothing: servers reword their answers', () => {
    for (const text of [
      'stream not found',
      'consumer not found',
      'wrong last sequence: 4',
      'jetstream is not enabled',
      'timeout',
      'already in use',
    ]) {
      expect(classify(new Error(text))).toEqual([]);
    }
  });
});
