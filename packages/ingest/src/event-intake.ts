import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Detection } from '@kiln/detect';
import type { Logger } from '@kiln/log';
import { EVENT_STREAM, isConsumerNotFound } from '@kiln/nats';
import type { PartitionAnalysis } from '@kiln/window';
import {
  decodeEvent,
  parseEventSubject,
  partitionOf,
  REJECT_REASON_ID,
  type EventDecodeLimits,
  type GpuEvent,
} from '@kiln/wire';
import { storeDeadLetters } from './dead-letters.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestStore } from './ingest-store.js';
import { retryUntilDone } from './retry-until-done.js';

export interface EventIntakeDeps {
  /** The partition's durable consumer of the event stream. */
  consumer: string;
  partition: number;
  partitions: number;
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: IngestStore;
  stats: IngestStats;
  /** The partition's GPUs and detectors: each event stored is an occurrence for them. */
  analysis: PartitionAnalysis<Detection>;
  limits: EventDecodeLimits;
  log: Logger;
}

/**
 * Reads the event stream (kiln.v1.event.>) for one partition and stores the events of its racks in kiln.gpu_events,
 * one row each, exactly once, handing each to the detectors as an occurrence.
 *
 * Every partition reads the whole stream through its own durable consumer (events are few, and nats-server 2.9 has no
 * way to filter one stream by rack hash) and acknowledges the other partitions' events unread. Exactly once: an event
 * is looked up by its identity (cluster, host, seq) before it is inserted and acknowledged after, so a redelivery (an
 * acknowledgement lost, a crash between insert and ack) or an agent's replay under the same id finds it stored; the
 * insert's token covers a retried insert. A bad event is dead-lettered and counted like a bad sample, by the partition
 * its subject's rack belongs to (partition 0 when the subject names none).
 */
export class EventIntake {
  private messages: ConsumerMessages | undefined;
  private stopping = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly deps: EventIntakeDeps) {}

  /** Creates the consumer if it does not exist (it keeps its place across restarts and owners), then reads on. */
  async start(): Promise<void> {
    const { jsm, js, consumer } = this.deps;
    await jsm.consumers.info(EVENT_STREAM, consumer).catch(async (err: unknown) => {
      if (!isConsumerNotFound(err)) throw err;
      await jsm.consumers.add(EVENT_STREAM, {
        durable_name: consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(60_000),
        max_deliver: -1,
      });
    });
    const c = await js.consumers.get(EVENT_STREAM, consumer);
    this.messages = await c.consume({ max_messages: 256 });
    this.done = this.consume(this.messages);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.done;
  }

  private async consume(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        await this.handle(m);
        if (this.stopping) break;
      }
    } catch (err) {
      if (!this.stopping)
        this.deps.log.error(
          { err: String(err) },
          'event intake stopped; unacknowledged events come again on the next start',
        );
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const { partition, partitions, stats } = this.deps;
    const now = Date.now();
    const decoded = decodeEvent(m.subject, m.data, now, this.deps.limits);
    if (!decoded.ok) {
      const rack = parseEventSubject(m.subject)?.rack;
      if ((rack === undefined ? 0 : partitionOf(rack, partitions)) === partition) {
        await this.retrying('event dead letter', () =>
          storeDeadLetters(
            this.deps.js,
            this.deps.store,
            EVENT_STREAM,
            [{ msg: m, reason: decoded.reason, detail: decoded.detail }],
            now,
            `events:${m.seq}`,
          ),
        );
        stats.rejected++;
        stats.decode.rejected[REJECT_REASON_ID[decoded.reason]]!++;
      }
      m.ack();
      return;
    }
    const event = decoded.event;
    if (partitionOf(event.rack, partitions) === partition) {
      let stored = false;
      await this.retrying('event lookup', async () => (stored = await this.deps.store.eventStored(event)));
      if (!stored) {
        await this.retrying('insert event', () =>
          this.deps.store.insertEvents([event], `gpu_events:${event.cluster}:${event.host}:${event.seq}`),
        );
        stats.eventsStored++;
        this.occurrence(event);
      } else stats.duplicateEvents++;
    }
    m.ack();
  }

  /** An Xid that names its GPU is an occurrence for the Xid rule; one without a GPU is stored, and nobody is paged. */
  private occurrence(e: GpuEvent): void {
    if (e.gpu === undefined || e.uuid === undefined) return;
    const { analysis } = this.deps;
    const gpuId = analysis.registry.id(e.cluster, e.rack, e.host, e.gpu);
    analysis.analyser.onXidEvent(gpuId, e.uuid, e.code, e.ts);
  }

  private retrying(what: string, op: () => Promise<unknown>): Promise<void> {
    return retryUntilDone(what, op, { log: this.deps.log, stats: this.deps.stats, stopping: () => this.stopping });
  }
}
