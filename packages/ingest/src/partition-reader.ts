import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@kiln/log';
import { GPU_STREAM, isConsumerNotFound } from '@kiln/nats';

/** How long a partition may receive nothing while its consumer has messages waiting before its pull counts as stuck. */
export const STALLED_PULL_MS = 15_000;
/** How often a quiet partition asks its consumer whether the pull is stuck. */
const STALL_CHECK_EVERY_MS = 5_000;

/**
 * The source stage: pulls a partition's messages, in order and without gaps, from its durable consumer. A run that
 * cannot go on (the pull ended, stalled, or skipped a delivery) ends, and the partition starts a new run from its
 * checkpoint; a run whose consumer another aggregator recreated is fenced off.
 */
export class PartitionReader {
  /** The consumer's delivery sequence of the last message this run received; -1 before the first. */
  private lastDelivery = -1;
  private consumer?: Consumer;
  private messages?: ConsumerMessages;
  private checkingStall = false;
  /** When a quiet partition may next ask whether its pull is stuck. */
  private nextStallCheck = 0;

  constructor(
    private readonly deps: {
      js: JetStreamClient;
      /** The partition's durable consumer. */
      consumer: string;
      /** When this run created the consumer: a different one means another owner has recreated it since. */
      consumerCreated: string;
      log: Logger;
      stopping: () => boolean;
      /** The run ends: stop taking messages. */
      stop: () => void;
      /** Another aggregator has taken the partition over. */
      onFenced: () => void;
      /** The run ended on its own: the partition needs a new run from its checkpoint. */
      onInterrupted: () => void;
    },
  ) {}

  /** Finds the partition's consumer; a failure here ends the partition (it is not a run that can start again). */
  async open(): Promise<void> {
    this.consumer = await this.deps.js.consumers.get(GPU_STREAM, this.deps.consumer);
  }

  /**
   * Reads, after open(), until close(), handing each message on; resolves when reading ends. `handle` returns a
   * promise only when the next message must wait (the partition is held back by its writes): most messages cost no
   * await.
   */
  async read(handle: (m: JsMsg) => Promise<void> | undefined): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) throw new Error('the partition reader is not open');
    try {
      this.messages = await consumer.consume({ max_messages: 2000, expires: 5_000 });
      for await (const m of this.messages) {
        const delivery = m.info.deliverySequence;
        // JetStream numbers every delivery of the consumer, redeliveries included. A number skipped is a message sent
        // to this run that never arrived (a NATS server died with it in flight): a batch stored across it, its
        // checkpoint and its acknowledgement (which covers all before it) would skip that message for good. So the
        // run ends there and the partition starts again from its checkpoint, as after a stalled pull.
        if (this.lastDelivery >= 0 && delivery !== this.lastDelivery + 1) {
          throw new Error(
            `delivery ${this.lastDelivery + 1} of the partition consumer never arrived (next came ${delivery})`,
          );
        }
        this.lastDelivery = delivery;
        const held = handle(m);
        if (held !== undefined) await held;
      }
      if (!this.deps.stopping()) throw new Error('the pull ended');
    } catch (err) {
      if (!this.deps.stopping()) await this.interrupted(err);
    }
  }

  async close(): Promise<void> {
    await this.messages?.close();
  }

  /**
   * Asks, at most every few seconds, whether a partition that has received nothing for STALLED_PULL_MS has a stuck
   * pull. `settled`: everything read is stored and nothing is in hand.
   */
  checkStall(quietSince: () => number, now: number, settled: () => boolean): void {
    if (
      now - quietSince() > STALLED_PULL_MS &&
      now >= this.nextStallCheck &&
      !this.checkingStall &&
      !this.deps.stopping()
    ) {
      void this.checkStalledPull(quietSince, settled);
    }
  }

  /**
   * The pull ended or stalled without being asked to. Messages the client held may be gone, and a run must see its
   * partition's messages without gaps (a later batch's acknowledgement covers everything before it), so this run
   * ends and the partition starts a new one from its checkpoint, as after a crash: unless a new owner recreated the
   * consumer, in which case this run is fenced off.
   */
  private async interrupted(err: unknown): Promise<void> {
    this.deps.stop();
    const info = await this.consumer?.info(false).catch(() => undefined);
    if (info !== undefined && info.created !== this.deps.consumerCreated) {
      this.deps.log.warn(
        { consumer: this.deps.consumer },
        'the partition consumer was recreated by another aggregator',
      );
      this.deps.onFenced();
      return;
    }
    this.deps.log.warn(
      { err: String(err), consumer: this.deps.consumer },
      'consuming interrupted; restarting the partition from its checkpoint',
    );
    this.deps.onInterrupted();
  }

  /**
   * No message for a while although the consumer has some waiting, or the consumer is gone: the pull is stuck (seen
   * after a NATS node died; nats.js keeps pulling from a deleted consumer without a word). Or everything read is
   * stored, yet the consumer still counts messages unacknowledged: the batch's acknowledgement was lost (sent while
   * the consumer's leader moved), and a pull cut off with it never brings their redelivery either.
   */
  private async checkStalledPull(quietSince: () => number, settled: () => boolean): Promise<void> {
    this.checkingStall = true;
    this.nextStallCheck = Date.now() + STALL_CHECK_EVERY_MS;
    try {
      let stuck: string | undefined;
      try {
        const info = await this.consumer?.info(false);
        if (info !== undefined && info.num_pending > 0)
          stuck = `no message for ${STALLED_PULL_MS} ms with ${info.num_pending} waiting`;
        else if (info !== undefined && info.num_ack_pending > 0 && settled()) {
          stuck = `${info.num_ack_pending} stored messages unacknowledged for ${STALLED_PULL_MS} ms`;
        }
      } catch (err) {
        // NATS away: the next tick asks again; the consumer gone: this run cannot go on.
        if (isConsumerNotFound(err)) stuck = 'the partition consumer is gone';
      }
      if (stuck !== undefined && !this.deps.stopping() && Date.now() - quietSince() > STALLED_PULL_MS) {
        await this.messages?.close();
        await this.interrupted(new Error(stuck));
      }
    } finally {
      this.checkingStall = false;
    }
  }
}
