import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DLQ_SUBJECTS } from '@kiln/wire';
import { publishDeadLetter, startNatsServer, type NatsServerHandle } from '../src/index.js';

let dir: string;
let server: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-dead-letter-'));
  server = await startNatsServer({ dir });
  nc = await connect({ servers: server.url });
  await (await jetstreamManager(nc)).streams.add({ name: 'DLQ', subjects: [DLQ_SUBJECTS] });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('keeps the original bytes under kiln.v1.dlq.<reason>, says why in headers, and stores a redelivery once', async () => {
  const js = jetstream(nc);
  const letter = {
    stream: 'KILN_ALERTS',
    seq: 42,
    subject: 'kiln.v1.alerts.x',
    reason: 'invalid_alert',
    detail: 'labels: expected an object\nsecond line',
    data: new TextEncoder().encode('{"not":"an alert"}'),
  };
  const first = await publishDeadLetter(js, letter);
  const again = await publishDeadLetter(js, letter);
  expect([first.duplicate, again.duplicate, again.seq]).toEqual([false, true, first.seq]);

  const stored = await (await jetstreamManager(nc)).streams.getMessage('DLQ', { seq: first.seq });
  expect(stored?.subject).toBe('kiln.v1.dlq.invalid_alert');
  expect(stored?.string()).toBe('{"not":"an alert"}');
  expect(
    ['Kiln-Reason', 'Kiln-Detail', 'Kiln-Original-Subject', 'Kiln-Stream-Seq'].map((h) => stored?.header.get(h)),
  ).toEqual(['invalid_alert', 'labels: expected an object second line', 'kiln.v1.alerts.x', '42']);
});
