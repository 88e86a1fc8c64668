import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  PartitionLeases,
  fairShare,
  startNatsServer,
  type NatsServerHandle,
  type PartitionOwner,
} from '../src/index.js';

const PARTITIONS = 8;
const LEASE_MS = 1_500;
const quiet = { info: () => undefined, warn: () => undefined };

/** An owner that records what it serves; a handover takes a moment, as flushing a batch does. */
class RecordingOwner implements PartitionOwner {
  readonly serving = new Set<number>();
  readonly events: string[] = [];
  async assigned(k: number): Promise<void> {
    this.serving.add(k);
    this.events.push(`+${k}`);
  }
  async revoked(k: number, how: 'handover' | 'lost'): Promise<void> {
    if (how === 'handover') await sleep(50);
    this.serving.delete(k);
    this.events.push(`-${k}:${how}`);
  }
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('partition leases on a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  const connections: NatsConnection[] = [];
  const open = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    return nc;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-leases-'));
    server = await startNatsServer({ dir });
  });
  afterAll(async () => {
    for (const nc of connections) await nc.close().catch(() => undefined);
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('spreads partitions evenly, moves a dead instance’s partitions to the survivors, and hands over on stop', async () => {
    const owners = { a: new RecordingOwner(), b: new RecordingOwner(), c: new RecordingOwner() };
    const start = async (name: 'a' | 'b' | 'c') =>
      PartitionLeases.start(
        await open(),
        1,
        { group: 'g', instance: name, partitions: PARTITIONS, leaseMs: LEASE_MS, log: quiet },
        owners[name],
      );
    // Every partition is served by exactly one live instance whenever the instances agree.
    const disjointCover = (...names: ('a' | 'b' | 'c')[]): boolean => {
      const all = names.flatMap((n) => [...owners[n].serving]);
      return all.length === PARTITIONS && new Set(all).size === PARTITIONS;
    };

    const a = await start('a');
    await until('a to take every partition', () => owners.a.serving.size === PARTITIONS);
    const b = await start('b');
    await until(
      'a and b to split 4/4',
      () => owners.a.serving.size === 4 && owners.b.serving.size === 4 && disjointCover('a', 'b'),
    );
    const cConnection = await open();
    const c = await PartitionLeases.start(
      cConnection,
      1,
      { group: 'g', instance: 'c', partitions: PARTITIONS, leaseMs: LEASE_MS, log: quiet },
      owners.c,
    );
    await until(
      'a, b, c to share 3/3/2',
      () =>
        disjointCover('a', 'b', 'c') &&
        Math.max(owners.a.serving.size, owners.b.serving.size, owners.c.serving.size) === 3,
    );
    expect(owners.a.events.filter((e) => e.endsWith(':lost'))).toEqual([]);

    // c dies without a word: its connection is gone, its keys expire, a and b take its partitions.
    const cHeld = [...owners.c.serving];
    await cConnection.close();
    const died = Date.now();
    await until('a and b to cover what c held', () => disjointCover('a', 'b'));
    const takeoverMs = Date.now() - died;
    expect(takeoverMs).toBeLessThan(3 * LEASE_MS);
    expect(cHeld.every((k) => owners.a.serving.has(k) || owners.b.serving.has(k))).toBe(true);

    // b stops cleanly: it hands over and releases, so a takes everything without waiting for a lease to expire.
    const stopped = Date.now();
    await b.stop();
    expect(owners.b.serving.size).toBe(0);
    await until('a to hold all partitions', () => owners.a.serving.size === PARTITIONS);
    expect(Date.now() - stopped).toBeLessThan(LEASE_MS);
    expect(a.owned()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await a.stop();
    void c; // its rounds fail on the closed connection, as a dead process's would not run at all
  });

  it('instances started together split the partitions without handing any over', async () => {
    const owners = [new RecordingOwner(), new RecordingOwner()];
    const leases = await Promise.all(
      owners.map(async (owner, i) =>
        PartitionLeases.start(
          await open(),
          1,
          { group: 'together', instance: `t${i}`, partitions: PARTITIONS, leaseMs: LEASE_MS, log: quiet },
          owner,
        ),
      ),
    );
    await until('a 4/4 split', () => owners.every((o) => o.serving.size === PARTITIONS / 2));
    expect(owners.flatMap((o) => o.events.filter((e) => e.startsWith('-')))).toEqual([]);
    await Promise.all(leases.map((l) => l.stop()));
  });

  it('fair share spreads partitions over the live instances', () => {
    expect([1, 2, 3, 5, 16].map((n) => fairShare(16, n))).toEqual([16, 8, 6, 4, 1]);
    expect(fairShare(4, 0)).toBe(4);
  });
});
