import type { JetStreamClient } from '@nats-io/jetstream';
import { LogThrottle, type Logger } from '@kiln/log';
import { Backoff, ConcurrencyLimit } from '@kiln/flow';
import type { Spool, SpooledRecord, SpoolRecord } from './spool.js';

export interface PublisherOptions {
  spool: Spool;
  /** PubAcks awaited at once, on the live path and on the replay path each. */
  inflight: number;
  ackTimeoutMs: number;
  log: Logger;
}

export interface PublishCounters {
  /** Fresh messages the server acknowledged. */
  live: number;
  /** Spooled messages the server acknowledged. */
  replayed: number;
  /** Acknowledged as duplicates (a Nats-Msg-Id the stream had already stored). */
  duplicates: number;
  /** Publishes that failed (timeout, no stream, connection lost). */
  failures: number;
  /** Messages put in the spool. */
  spooled: number;
  /** Messages lost because the spool could not be written (disk full or unwritable). */
  unspoolable: number;
}

const enum State {
  InFlight,
  Acked,
  ToSpool,
}

interface OutboxEntry {
  readonly record: SpoolRecord;
  state: State;
}

/**
 * JetStream publishing with a disk spool behind it. A fresh message is published at once when NATS is connected, the
 * live window has room and nothing waits to be spooled or replayed; otherwise, or when its PubAck fails, it goes to
 * the spool. Messages reach the spool in the order they were submitted, even when an earlier one is still awaiting its
 * PubAck, and while the spool holds anything fresh messages join it: the host's samples reach NATS in the order they
 * were taken, so the aggregator sees an outage replayed in event time before the present (its detectors judge the
 * replay as they would have judged it live). While connected, a replay loop drains the spool oldest first with its
 * own window (thousands of messages a second, so the present waits little). After a failed replay it retries one
 * message at a time (with back-off) until the server answers.
 */
export class Publisher {
  readonly counters: PublishCounters = { live: 0, replayed: 0, duplicates: 0, failures: 0, spooled: 0, unspoolable: 0 };
  private js: JetStreamClient | undefined;
  private connected = false;
  private stopped = false;
  private readonly outbox: OutboxEntry[] = [];
  private readonly live: ConcurrencyLimit;
  private readonly replayWindow: ConcurrencyLimit;
  private readonly replayDone: Promise<void>;
  private wakeReplay: (() => void) | undefined;
  private interruptSleep: (() => void) | undefined;
  private failingSince = 0;
  private readonly publishFailures = new LogThrottle();
  private readonly spoolFailures = new LogThrottle();

  constructor(private readonly options: PublisherOptions) {
    this.live = new ConcurrencyLimit(options.inflight);
    this.replayWindow = new ConcurrencyLimit(options.inflight);
    this.replayDone = this.replayLoop();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** NATS is reachable: publish live and replay the spool. */
  online(js: JetStreamClient): void {
    this.js = js;
    this.connected = true;
    this.wake();
    this.interruptSleep?.();
  }

  /** NATS is away: fresh messages go straight to the spool. */
  offline(): void {
    this.connected = false;
  }

  submit(record: SpoolRecord): void {
    const entry: OutboxEntry = { record, state: State.ToSpool };
    this.outbox.push(entry);
    const js = this.js;
    if (this.connected && js !== undefined && !this.stopped && !this.behindSpool(entry) && this.live.tryAcquire()) {
      entry.state = State.InFlight;
      js.publish(record.subject, record.body, { msgID: record.msgId, timeout: this.options.ackTimeoutMs })
        .then(
          (ack) => {
            entry.state = State.Acked;
            this.counters.live++;
            if (ack.duplicate) this.counters.duplicates++;
            this.noteSuccess();
          },
          (err: unknown) => {
            entry.state = State.ToSpool;
            this.noteFailure(err);
          },
        )
        .finally(() => {
          this.live.release();
          this.settle();
        });
      return;
    }
    this.settle();
  }

  /** Stops: what is in flight is awaited, what is not acknowledged is spooled. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake();
    this.interruptSleep?.();
    await this.live.idle();
    this.settle();
    await this.replayDone;
  }

  /** Whether messages taken before `entry` wait in the spool, or to be spooled: `entry` must not overtake them. */
  private behindSpool(entry: OutboxEntry): boolean {
    if (this.options.spool.pending > 0) return true;
    for (const e of this.outbox) {
      if (e === entry) return false;
      if (e.state === State.ToSpool) return true;
    }
    return false;
  }

  /** Moves settled entries off the front of the outbox, spooling those that were not acknowledged. */
  private settle(): void {
    const outbox = this.outbox;
    let n = 0;
    while (n < outbox.length && outbox[n]!.state !== State.InFlight) {
      const entry = outbox[n++]!;
      if (entry.state === State.ToSpool) this.toSpool(entry.record);
    }
    if (n > 0) {
      outbox.splice(0, n);
      this.wake();
    }
  }

  private toSpool(record: SpoolRecord): void {
    try {
      this.options.spool.append(record);
      this.counters.spooled++;
    } catch (err) {
      this.counters.unspoolable++;
      if (!this.spoolFailures.allow()) return;
      this.options.log.error(
        { err: String(err), lost: this.counters.unspoolable },
        'cannot write the spool: samples that NATS did not take are lost',
      );
    }
  }

  private async replayLoop(): Promise<void> {
    const backoff = new Backoff({ initialDelayMs: 500, maxDelayMs: 30_000 });
    let healthy = true;
    while (!this.stopped) {
      if (!this.connected || this.options.spool.pending === 0) {
        await new Promise<void>((resolve) => (this.wakeReplay = resolve));
        continue;
      }
      let ok: boolean;
      try {
        const batch = await this.options.spool.read(healthy ? this.options.inflight * 4 : 1);
        if (batch.length === 0) continue;
        ok = await this.replay(batch);
      } catch (err) {
        this.options.log.error({ err: String(err) }, 'spool replay failed');
        ok = false;
      }
      healthy = ok;
      if (ok) backoff.reset();
      else await this.sleep(backoff.next());
    }
  }

  /** Publishes a batch in order through the replay window; commits the acknowledged prefix. True if all were. */
  private async replay(batch: readonly SpooledRecord[]): Promise<boolean> {
    const js = this.js!;
    const acked = new Uint8Array(batch.length);
    let failed = false;
    for (let i = 0; i < batch.length && !failed && this.connected && !this.stopped; i++) {
      await this.replayWindow.acquire();
      if (failed) {
        this.replayWindow.release();
        break;
      }
      const record = batch[i]!;
      js.publish(record.subject, record.body, { msgID: record.msgId, timeout: this.options.ackTimeoutMs })
        .then(
          (ack) => {
            acked[i] = 1;
            this.counters.replayed++;
            if (ack.duplicate) this.counters.duplicates++;
            this.noteSuccess();
          },
          (err: unknown) => {
            failed = true;
            this.noteFailure(err);
          },
        )
        .finally(() => this.replayWindow.release());
    }
    await this.replayWindow.idle();
    const prefix = acked.indexOf(0);
    const done = prefix < 0 ? batch.length : prefix;
    if (done > 0) this.options.spool.commit(batch[done - 1]!);
    return done === batch.length;
  }

  private wake(): void {
    const wake = this.wakeReplay;
    this.wakeReplay = undefined;
    wake?.();
  }

  /** Waits `ms`, or less when NATS comes back or the publisher stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.interruptSleep = undefined;
        resolve();
      }
      this.interruptSleep = done;
    });
  }

  private noteSuccess(): void {
    if (this.failingSince === 0) return;
    this.options.log.info(
      { failedForMs: Date.now() - this.failingSince, spooled: this.options.spool.pending },
      'publishing again',
    );
    this.failingSince = 0;
  }

  /** Logs the first failure of an outage and then one a minute: an outage must not flood the log. */
  private noteFailure(err: unknown): void {
    this.counters.failures++;
    if (this.failingSince === 0) this.failingSince = Date.now();
    if (!this.publishFailures.allow()) return;
    this.options.log.warn(
      { err: String(err), connected: this.connected, spooled: this.options.spool.pending },
      'publish failed; samples are spooled and sent again later',
    );
  }
}
