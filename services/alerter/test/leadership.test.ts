import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { silentLogger } from '@kiln/log';
import { startTestNatsServer, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leadership, type LeaderTerm } from '../src/leadership.js';

/** The lease against a real nats-server: terms, and the fence of each. */
describe('Leadership', () => {
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

  it('gives the lease back when a start fails after renewals, and takes it again', async () => {
    const bucket = 'kiln_alerter_test_failed_start';
    let starts = 0;
    let lost = 0;
    const leadership = await Leadership.start(
      nc,
      { bucket, replicas: 1, leaseMs: 1_000, instance: 'a', url: 'http://127.0.0.1:3', log: silentLogger() },
      {
        activate: async () => {
          // The second start (after the lease was lost and taken again) outlasts a few renewals, every 250 ms here,
          // then fails, as one waiting on a NATS cluster that is electing leaders does.
          if (++starts === 2) {
            await new Promise((r) => setTimeout(r, 900));
            throw new Error('TimeoutError: timeout');
          }
        },
        deactivate: async () => {
          lost++;
        },
      },
    );
    try {
      const kv = await new Kvm(jetstream(nc)).open(bucket);
      const entry = (await kv.get('leader'))!;
      await kv.update(
        'leader',
        JSON.stringify({ instance: 'b', url: 'http://127.0.0.1:4', since: Date.now(), term: 'b-1' }),
        entry.revision,
      );
      await waitUntil('this alerter to step down', async () => lost === 1, 5_000, 20);
      await kv.delete('leader');
      // Without the lease given back after the failed start, the process would renew it for ever, running nothing.
      await waitUntil('a third start', async () => starts === 3, 10_000, 20);
      expect(leadership.leading).toBe(true);
    } finally {
      await leadership.stop();
    }
  });

  it('fences off a term that ended, even once the same process leads again under a new one', async () => {
    const bucket = 'kiln_alerter_test_leader';
    const terms: LeaderTerm[] = [];
    const lost: string[] = [];
    const leadership = await Leadership.start(
      nc,
      { bucket, replicas: 1, leaseMs: 1_000, instance: 'a', url: 'http://127.0.0.1:1', log: silentLogger() },
      {
        activate: async (term) => {
          terms.push(term);
        },
        deactivate: async (how) => {
          lost.push(how);
        },
      },
    );
    try {
      expect(terms).toHaveLength(1);
      expect(await terms[0]!.fence()).toBe(true);

      // Another alerter takes the lease (as after a pause of this one), then gives it up: this process steps down,
      // then takes the lease again under a second term.
      const kv = await new Kvm(jetstream(nc)).open(bucket);
      const entry = (await kv.get('leader'))!;
      await kv.update(
        'leader',
        JSON.stringify({ instance: 'b', url: 'http://127.0.0.1:2', since: Date.now(), term: 'b-1' }),
        entry.revision,
      );
      await waitUntil('this alerter to step down', async () => lost.length === 1, 5_000, 20);
      expect(await terms[0]!.fence()).toBe(false);
      await kv.delete('leader');
      await waitUntil('this alerter to lead again', async () => terms.length === 2, 5_000, 20);

      expect(leadership.leading).toBe(true);
      expect(await terms[1]!.fence()).toBe(true);
      // What the first term still has in hand (an intake stopping, a notification retrying) stays fenced off: the
      // second term loaded its state without it.
      expect(await terms[0]!.fence()).toBe(false);
      expect(terms[0]!.abandoned.aborted).toBe(true);
    } finally {
      await leadership.stop();
    }
  });
});
