import { Kvm, type KV } from '@nats-io/kv';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { partitionOf } from '@kiln/wire';
import { openCoordinationBucket } from './coordination-bucket.js';
import { isStreamNotFound, isWrongLastSequence } from './nats-errors.js';
import { retryTransient } from './transient.js';

/** The KV bucket holding partition leases and the aggregators' membership; its TTL is the lease duration. */
export const PARTITION_BUCKET = 'kiln_partitions';

/** What an owner does when a partition comes or goes. */
export interface PartitionOwner {
  /** Start serving the partition. A throw gives the lease back at once. */
  assigned(partition: number): Promise<void>;
  /**
   * Stop serving the partition. `handover`: this instance gives it up (rebalancing, shutdown) and still holds the
   * lease, so finish what is in hand first; the lease is released when this resolves. `lost`: the lease is gone
   * (expired, or taken by another instance); stop at once, another owner may be serving it already.
   */
  revoked(partition: number, how: 'handover' | 'lost'): Promise<void>;
}

export interface PartitionLeaseOptions {
  /** The aggregators sharing these partitions (their consumer name): groups on one NATS system never mix. */
  group: string;
  /** This instance's name, unique among the aggregators (a KV key token). */
  instance: string;
  partitions: number;
  /** A lease not renewed for this long expires; renewals happen four times per lease. */
  leaseMs: number;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

/** How many partitions each of `members` instances should hold at most: the partitions spread evenly. */
export function fairShare(partitions: number, members: number): number {
  return Math.ceil(partitions / Math.max(1, members));
}

const leaseKey = (group: string, partition: number): string => `${group}.lease.${partition}`;
const memberKey = (group: string, instance: string): string => `${group}.member.${instance}`;

/**
 * Reads keys with single requests (direct gets, any replica answers) rather than KV listings: a listing creates a
 * consumer on the bucket's stream each time, which can hang while a NATS node is gone and the stream elects a leader.
 */
async function leaseHolders(kv: KV, group: string, partitions: readonly number[]): Promise<Map<number, string>> {
  const entries = await Promise.all(partitions.map((k) => kv.get(leaseKey(group, k))));
  const holders = new Map<number, string>();
  entries.forEach((e, i) => {
    if (e !== null && e.operation === 'PUT') holders.set(partitions[i]!, e.string());
  });
  return holders;
}

/** Which instance of `group` holds each of its `partitions` leases now (absent: nobody), for operators and tests. */
export async function readLeaseOwners(
  nc: NatsConnection,
  group: string,
  partitions: number,
): Promise<Map<number, string>> {
  try {
    const kv = await new Kvm(jetstream(nc)).open(PARTITION_BUCKET);
    return await leaseHolders(
      kv,
      group,
      Array.from({ length: partitions }, (_, k) => k),
    );
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    return new Map(); // no aggregator has started yet: nobody holds anything
  }
}

/**
 * Shares partitions among aggregator instances with leases in a JetStream KV bucket (works on nats-server 2.9):
 * - every instance renews a membership key `<group>.member.<instance>`, so each knows how many are alive and takes at
 *   most its fair share;
 * - a lease is a key `<group>.lease.<k>` holding the owner's name, taken with create() (fails if another holds it) and renewed
 *   with a compare-and-set update() on its revision, so two instances never both renew one lease;
 * - the bucket's TTL expires the keys of an instance that stopped renewing (crashed, partitioned away), and survivors
 *   take its partitions on their next round; an instance shutting down hands its partitions over at once.
 * A lease alone cannot stop an owner that stalls past its TTL from writing: the aggregator's checkpoint is written
 * with compare-and-set too, and a new owner's first write fences the old one (see CheckpointStore).
 */
export class PartitionLeases {
  /** Held partitions and the revision of their lease key. */
  private readonly held = new Map<number, number>();
  /** Held partitions being handed over: renewed until their owner has finished, then released. */
  private readonly handingOver = new Map<number, Promise<void>>();
  private readonly handedOver = new Set<number>();
  /**
   * Held partitions whose owner has been asked to start serving them: resolves true once it does, false if it could
   * not (the next round gives the lease back). Starting runs beside the rounds, so a slow start (NATS electing a
   * leader after losing a node) never holds up the renewal of the other leases.
   */
  private readonly starts = new Map<number, Promise<boolean>>();
  private readonly failedStarts = new Set<number>();
  private timer?: NodeJS.Timeout;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private members = 1;

  private constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly options: PartitionLeaseOptions,
    private readonly owner: PartitionOwner,
  ) {}

  /**
   * Opens (or creates) the lease bucket with `replicas` and announces this instance; from the next round on it takes
   * its share and keeps it renewed.
   */
  static async start(
    nc: NatsConnection,
    replicas: number,
    options: PartitionLeaseOptions,
    owner: PartitionOwner,
  ): Promise<PartitionLeases> {
    // A request that takes a fifth of the lease has failed: the round gives up and the next one, a quarter of a lease
    // later, tries again, so one slow answer (an election after a NATS node died) does not let the leases run out.
    const timeout = Math.max(250, Math.floor(options.leaseMs / 5));
    const kv = await openCoordinationBucket(jetstream(nc, { timeout }), PARTITION_BUCKET, {
      replicas,
      ttlMs: options.leaseMs,
      timeout,
    });
    const leases = new PartitionLeases(
      kv,
      await retryTransient('JetStream', () => jetstreamManager(nc, { timeout })),
      options,
      owner,
    );
    // Announce first and take partitions one round later: aggregators started together (a deployment rolling out)
    // then all count each other before any claims, and split the partitions without handing them back and forth.
    // A bucket just created on a cluster answers once its stream has elected a leader.
    await retryTransient('announcing this aggregator', () =>
      kv.put(memberKey(options.group, options.instance), String(Date.now())),
    );
    leases.timer = setInterval(() => void leases.runRound(), Math.max(100, Math.floor(options.leaseMs / 4)));
    leases.timer.unref();
    return leases;
  }

  /** The partitions this instance serves now, in order. */
  owned(): number[] {
    return [...this.held.keys()].filter((k) => !this.handingOver.has(k)).sort((a, b) => a - b);
  }

  /**
   * Forgets a partition this instance can no longer serve: fenced off (another instance wrote its checkpoint, the
   * lease is someone else's now) or unable to start again. It is neither renewed nor released: it lapses, and any
   * instance's next round takes it.
   */
  lost(partition: number, why: string): void {
    if (!this.held.delete(partition)) return;
    this.handingOver.delete(partition);
    this.options.log.warn({ partition, why }, 'partition given up');
    void this.revoke(partition, 'lost');
  }

  /** Hands every partition over (each owner finishes what it has in hand), releases the leases and leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    await Promise.all(
      [...this.held.keys()].map(async (k) => {
        await (this.handingOver.get(k) ?? this.revoke(k, 'handover'));
        await this.release(k);
      }),
    );
    await this.kv.delete(memberKey(this.options.group, this.options.instance)).catch(() => undefined);
  }

  /** Rounds never overlap: a slow one delays the next instead of racing it. */
  private runRound(): Promise<void> {
    this.round = this.round
      .then(() => (this.stopped ? undefined : this.renewAndBalance()))
      .catch((err: unknown) => this.options.log.warn({ err }, 'partition lease round failed; retrying'));
    return this.round;
  }

  private async renewAndBalance(): Promise<void> {
    const { group, instance, partitions, log } = this.options;
    // Renewals first and all at once: a round's time is that of its slowest request, not their sum.
    await Promise.all([...this.held].map(([k, revision]) => this.renew(k, revision)));
    await this.kv.put(memberKey(group, instance), String(Date.now()));
    this.members = await this.countMembers();
    for (const k of this.handedOver) await this.release(k);
    this.handedOver.clear();
    for (const k of this.failedStarts) await this.release(k);
    this.failedStarts.clear();
    const share = fairShare(partitions, this.members);
    let excess = this.held.size - this.handingOver.size - share;
    for (const k of [...this.held.keys()].sort((a, b) => b - a)) {
      if (excess <= 0) break;
      if (this.handingOver.has(k)) continue;
      excess--;
      this.handOver(k);
    }
    if (this.held.size >= share) return;
    const unheld = Array.from({ length: partitions }, (_, k) => k).filter((k) => !this.held.has(k));
    const taken = await leaseHolders(this.kv, group, unheld);
    // Instances start their search at different partitions, so that simultaneous claims rarely collide.
    const start = partitionOf(instance, partitions);
    for (let i = 0; i < partitions && this.held.size < share; i++) {
      const k = (start + i) % partitions;
      if (taken.has(k) || this.held.has(k)) continue;
      let revision: number;
      try {
        revision = await this.kv.create(leaseKey(group, k), instance);
      } catch {
        continue; // another instance was quicker
      }
      this.held.set(k, revision);
      log.info({ partition: k, members: this.members }, 'partition assigned');
      this.starts.set(
        k,
        this.owner.assigned(k).then(
          () => true,
          (err: unknown) => {
            log.warn({ partition: k, err: String(err) }, 'could not start serving the partition; giving it back');
            if (this.held.has(k)) this.failedStarts.add(k);
            return false;
          },
        ),
      );
    }
  }

  private async renew(k: number, revision: number): Promise<void> {
    try {
      const renewed = await this.kv.update(leaseKey(this.options.group, k), this.options.instance, revision);
      if (this.held.get(k) === revision) this.held.set(k, renewed);
    } catch (err) {
      // NATS unreachable for a moment (a node restarting, an election): keep serving and try again next round. If
      // the lease expires meanwhile, the next renewal finds it gone; a new owner fences this one off regardless.
      if (!isWrongLastSequence(err)) return;
      // Expired or taken: someone else may be serving it now.
      this.options.log.warn({ partition: k, err: String(err) }, 'partition lease lost');
      if (!this.held.delete(k)) return;
      this.handingOver.delete(k);
      void this.revoke(k, 'lost');
    }
  }

  /** Asks the owner to stop serving k once it has started (a start that failed has nothing to stop). */
  private async revoke(k: number, how: 'handover' | 'lost'): Promise<void> {
    const start = this.starts.get(k);
    this.starts.delete(k);
    if (start !== undefined && (await start)) await this.owner.revoked(k, how).catch(() => undefined);
  }

  private handOver(k: number): void {
    this.options.log.info({ partition: k, members: this.members }, 'handing partition over');
    const done = this.revoke(k, 'handover').finally(() => {
      if (this.handingOver.delete(k) && this.held.has(k)) this.handedOver.add(k);
    });
    this.handingOver.set(k, done);
  }

  /** Deletes the lease if this instance still holds it, so the next round of any instance can take it. */
  private async release(k: number): Promise<void> {
    const revision = this.held.get(k);
    this.held.delete(k);
    this.handingOver.delete(k);
    this.starts.delete(k);
    if (revision === undefined) return;
    await this.kv.delete(leaseKey(this.options.group, k), { previousSeq: revision }).catch(() => undefined);
  }

  /** Live members: membership keys present (one stream-info request names them) and not deleted by a leaver. */
  private async countMembers(): Promise<number> {
    const prefix = `$KV.${PARTITION_BUCKET}.`;
    const info = await this.jsm.streams.info(`KV_${PARTITION_BUCKET}`, {
      subjects_filter: `${prefix}${memberKey(this.options.group, '*')}`,
    });
    const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)));
    return Math.max(1, entries.filter((e) => e !== null && e.operation === 'PUT').length);
  }
}
