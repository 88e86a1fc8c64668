import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '@kiln/log';
import { isWrongLastSequence, openCoordinationBucket } from '@kiln/nats';

/** Who leads the alerters of one state bucket, as written in the lease. */
export interface LeaderRecord {
  /** The process, as its logs name it. */
  readonly instance: string;
  /** Its API, where the others forward requests. */
  readonly url: string;
  /** When it took the lease, Unix milliseconds. */
  readonly since: number;
  /** Unique per term: a process that lost the lease and took it again is a new term. */
  readonly term: string;
}

/** One term of leadership, as handed to the duties that run under it. */
export interface LeaderTerm {
  /**
   * Aborts when the lease is lost or the start takes too long (a NATS stream electing a leader can hold a KV listing
   * for ever): a start that finishes after that must undo itself and throw.
   */
  readonly abandoned: AbortSignal;
  /**
   * This term's fence: true while the lease still holds this term. Every notification and state write of the term
   * asks it first. It stays false once the term ended, even when this process leads again under a newer term: what
   * the old term still has in hand (an intake stopping, a notification retrying) must not act for the new one, whose
   * state was loaded without it.
   */
  readonly fence: () => Promise<boolean>;
}

/** What the elected alerter does when it gains or loses the lease. */
export interface LeaderDuties {
  /** Start consuming and notifying. A throw gives the lease back at once. */
  activate(term: LeaderTerm): Promise<void>;
  /**
   * Stop. `handover`: this process is shutting down and still holds the lease: finish what is in hand, the lease is
   * released afterwards. `lost`: the lease expired or was taken: another alerter may be notifying already.
   */
  deactivate(how: 'handover' | 'lost'): Promise<void>;
}

const LEASE_KEY = 'leader';
/** A start that has not finished in this many leases is abandoned and the lease given back, to be taken again. */
const ACTIVATION_LEASES = 4;
/** A fence check this recent is trusted without asking NATS again (monotonic clock: a paused process re-asks). */
const FENCE_CACHE_MS = 250;

/**
 * One leader among the alerters sharing a state bucket, through a key in a JetStream KV bucket whose TTL is the
 * lease (works on nats-server 2.9): taken with create() (fails while another holds it), renewed with a
 * compare-and-set update() four times per lease, deleted on a clean shutdown so a standby takes over at its next
 * round. A standby tries to take it every round; a leader that stops renewing (crashed, paused, cut off) loses it
 * when the TTL runs out. A process restarted on the address the lease names takes it at once: holding that address,
 * it knows the holder is gone.
 *
 * A lease alone cannot stop a paused leader that wakes up from notifying once before its next renewal finds the lease
 * gone. So every notification and every state write first checks the fence: the key still holds this process's term.
 * The check is cached for a quarter of a second on the monotonic clock, which keeps running while a process is
 * stopped, so a process that wakes from a pause asks NATS before doing anything.
 */
export class Leadership {
  private record: LeaderRecord;
  private revision: number | undefined;
  private lastRenewed = 0;
  private verifiedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private activating: Promise<boolean> | undefined;
  private abandon: AbortController | undefined;

  private constructor(
    private readonly kv: KV,
    private readonly leaseMs: number,
    self: { instance: string; url: string },
    private readonly duties: LeaderDuties,
    private readonly log: Logger,
  ) {
    this.record = { ...self, since: 0, term: randomUUID() };
  }

  /** Opens (or creates) the lease bucket and runs the first round: on return this process leads or stands by. */
  static async start(
    nc: NatsConnection,
    options: { bucket: string; replicas: number; leaseMs: number; instance: string; url: string; log: Logger },
    duties: LeaderDuties,
  ): Promise<Leadership> {
    // A request that takes a fifth of the lease has failed: the round gives up and the next one tries again, so one
    // slow answer (a NATS stream electing a leader after a node died) neither stalls the rounds nor loses the lease.
    const timeout = Math.max(250, Math.floor(options.leaseMs / 5));
    const kv = await openCoordinationBucket(jetstream(nc, { timeout }), options.bucket, {
      replicas: options.replicas,
      ttlMs: options.leaseMs,
      timeout,
    });
    const leadership = new Leadership(kv, options.leaseMs, options, duties, options.log);
    await leadership.runRound();
    await leadership.activating;
    leadership.timer = setInterval(() => void leadership.runRound(), Math.max(100, Math.floor(options.leaseMs / 4)));
    leadership.timer.unref();
    return leadership;
  }

  /** Whether this process holds the lease now (as far as it knows: see `verify`). */
  get leading(): boolean {
    return this.revision !== undefined;
  }

  /** The leader as the lease names it; undefined while nobody holds it. */
  async leader(): Promise<LeaderRecord | undefined> {
    if (this.leading) return this.record;
    const entry = await this.kv.get(LEASE_KEY);
    return entry === null || entry.operation !== 'PUT' || entry.length === 0 ? undefined : entry.json<LeaderRecord>();
  }

  /**
   * The fence of a term (by default the current one): true while the lease still holds it. False for a term that has
   * ended; false for the current one steps this process down at once, so a notification or write it was about to make
   * is dropped (the new leader makes it from the shared state).
   */
  async verify(term: string = this.record.term): Promise<boolean> {
    if (!this.leading || term !== this.record.term) return false;
    if (performance.now() - this.verifiedAt < FENCE_CACHE_MS && Date.now() - this.lastRenewed < this.leaseMs)
      return true;
    let entry;
    try {
      entry = await this.kv.get(LEASE_KEY);
    } catch {
      // NATS unreachable: keep going while the lease cannot have run out yet.
      return Date.now() - this.lastRenewed < this.leaseMs;
    }
    const holds =
      entry !== null &&
      entry.operation === 'PUT' &&
      entry.length > 0 &&
      entry.json<LeaderRecord>().term === this.record.term;
    if (holds) {
      this.verifiedAt = performance.now();
      return true;
    }
    this.lose('the lease names another term');
    return false;
  }

  /** Stops the rounds; a leader finishes what it has in hand and releases the lease for a standby to take. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    await this.activating;
    const revision = this.revision;
    if (revision === undefined) return;
    await this.duties
      .deactivate('handover')
      .catch((err: unknown) => this.log.error({ err }, 'alerter: stepping down failed'));
    this.revision = undefined;
    await this.kv.delete(LEASE_KEY, { previousSeq: revision }).catch(() => undefined);
  }

  /** Rounds never overlap: a slow one delays the next instead of racing it. */
  private runRound(): Promise<void> {
    this.round = this.round
      .then(() => (this.stopped ? undefined : this.leading ? this.renew() : this.tryTake()))
      .catch((err: unknown) => this.log.warn({ err: String(err) }, 'alerter lease round failed; retrying'));
    return this.round;
  }

  private async renew(): Promise<void> {
    const revision = this.revision as number;
    try {
      const renewed = await this.kv.update(LEASE_KEY, JSON.stringify(this.record), revision);
      if (this.revision === revision) {
        this.revision = renewed;
        this.lastRenewed = Date.now();
      }
    } catch (err) {
      if (isWrongLastSequence(err)) {
        // A renewal that timed out may have been applied all the same: the lease then still holds this term, at a
        // revision this process has not seen. Anything else means it expired or was taken: step down.
        const entry = await this.kv.get(LEASE_KEY).catch(() => null);
        if (
          entry !== null &&
          entry.operation === 'PUT' &&
          entry.length > 0 &&
          entry.json<LeaderRecord>().term === this.record.term
        ) {
          if (this.revision === revision) this.revision = entry.revision;
          return;
        }
        this.lose('the lease was taken');
      } else if (Date.now() - this.lastRenewed >= this.leaseMs) {
        // Unreachable for a whole lease: a standby may have taken over; step down too.
        this.lose(`the lease could not be renewed: ${String(err)}`);
      }
    }
  }

  private async tryTake(): Promise<void> {
    const record: LeaderRecord = { ...this.record, since: Date.now(), term: randomUUID() };
    let revision: number;
    try {
      revision = await this.kv.create(LEASE_KEY, JSON.stringify(record));
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
      // Another alerter leads, unless the lease names this process's own address: this process holds that port now,
      // so the holder is gone (a restart after a crash) and need not be waited out.
      const entry = await this.kv.get(LEASE_KEY);
      if (
        entry === null ||
        entry.operation !== 'PUT' ||
        entry.length === 0 ||
        entry.json<LeaderRecord>().url !== record.url
      )
        return;
      revision = await this.kv.update(LEASE_KEY, JSON.stringify(record), entry.revision);
      this.log.info({ url: record.url }, 'the lease named this address, whose previous holder is gone: taking over');
    }
    this.record = record;
    this.revision = revision;
    this.lastRenewed = record.since;
    this.verifiedAt = performance.now();
    this.log.info(
      { instance: this.record.instance, url: this.record.url },
      'alerter leads: consuming alert events and notifying',
    );
    const abandon = new AbortController();
    this.abandon = abandon;
    const tooSlow = setTimeout(
      () => abandon.abort(new Error(`not started within ${ACTIVATION_LEASES} leases`)),
      ACTIVATION_LEASES * this.leaseMs,
    );
    // Raced against abandonment: a start that hangs neither holds the lease nor this process's role; when it finishes
    // late, the duties see the signal and undo it.
    const abandoned = new Promise<never>((_, reject) =>
      abandon.signal.addEventListener('abort', () => reject(abandon.signal.reason as Error), { once: true }),
    );
    const fence = (): Promise<boolean> => this.verify(record.term);
    this.activating = Promise.race([this.duties.activate({ abandoned: abandon.signal, fence }), abandoned])
      .finally(() => clearTimeout(tooSlow))
      .then(() => true)
      .catch(async (err: unknown) => {
        this.log.error({ err: String(err) }, 'alerter could not start leading; giving the lease back');
        // Still this term (renewals went on during the start, so the revision is a later one): give it back, or the
        // process would go on renewing a lease with nothing running under it.
        const current = this.revision;
        if (current !== undefined && this.record.term === record.term) {
          this.revision = undefined;
          await this.kv.delete(LEASE_KEY, { previousSeq: current }).catch(() => undefined);
        }
        return false;
      });
  }

  private lose(why: string): void {
    if (this.revision === undefined) return;
    this.revision = undefined;
    this.abandon?.abort(new Error(`lease lost: ${why}`));
    this.log.warn({ why }, 'alerter lost the lease: standing by');
    const activated = this.activating ?? Promise.resolve(true);
    void activated
      .then((ok) => (ok ? this.duties.deactivate('lost') : undefined))
      .catch((err: unknown) => this.log.error({ err }, 'alerter: stepping down failed'));
  }
}
