import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { validateAlertEvent, type AlertEvent } from '@kiln/alerts';
import type { Logger } from '@kiln/log';
import {
  ALERT_STREAM,
  ALERT_SUBJECTS,
  ensureStreams,
  isStreamOrConsumerNotFound,
  publishDeadLetter,
  retryTransient,
  type StreamOptions,
} from '@kiln/nats';

export interface Intake {
  /** Stops consuming and waits for the events in hand to be stored (their messages acknowledged). */
  stop(): Promise<void>;
}

export interface IntakeCounters {
  events: number;
  invalid: number;
}

/**
 * Consumes alert events from the KILN_ALERTS stream through a durable consumer. Each valid event is handed to
 * `apply`, and its message acknowledged once `apply` resolves (the event is stored); an invalid one goes to the
 * dead-letter stream and is acknowledged. Events are applied in stream order; their stores overlap. A failure to
 * store naks the message, so JetStream redelivers it.
 */
export async function consumeAlertEvents(
  nc: NatsConnection,
  options: { consumer: string; streams: StreamOptions; log: Logger; counters: IntakeCounters },
  apply: (event: AlertEvent) => Promise<unknown>,
): Promise<Intake> {
  const { log, counters } = options;
  const jsm = await retryTransient('JetStream', () => jetstreamManager(nc));
  await ensureStreams(jsm, options.streams);
  try {
    await jsm.consumers.info(ALERT_STREAM, options.consumer);
  } catch (err) {
    if (!isStreamOrConsumerNotFound(err)) throw err;
    await jsm.consumers.add(ALERT_STREAM, {
      durable_name: options.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: ALERT_SUBJECTS,
      ack_wait: nanos(30_000),
      max_deliver: -1,
      max_ack_pending: 10_000,
    });
  }
  const js = jetstream(nc);

  const handle = async (m: JsMsg): Promise<void> => {
    counters.events++;
    let input: unknown;
    try {
      input = m.json();
    } catch {
      input = undefined;
    }
    const validation = validateAlertEvent(input);
    if (!validation.ok) {
      counters.invalid++;
      log.error({ errors: validation.errors, subject: m.subject, seq: m.seq }, 'invalid alert event dead-lettered');
      await publishDeadLetter(js, {
        stream: ALERT_STREAM,
        seq: m.seq,
        subject: m.subject,
        reason: 'invalid_alert',
        detail: validation.errors.join('; '),
        data: m.data,
      });
      m.ack();
      return;
    }
    await apply(validation.event);
    m.ack();
  };

  const consumer = await js.consumers.get(ALERT_STREAM, options.consumer);
  let messages: ConsumerMessages | undefined;
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopping) {
      try {
        // Pull requests that expire in 5 s (not nats.js's 30 s): those of an intake that stopped (a leader stepping
        // down) stop drawing events within seconds, where each event sent to one waits out the ack wait before
        // redelivery.
        messages = await consumer.consume({ max_messages: 500, expires: 5_000 });
        for await (const m of messages) {
          const p = handle(m).catch((err: unknown) => {
            log.error({ err, seq: m.seq }, 'alert event not stored; it will be redelivered');
            m.nak(1_000);
          });
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      } catch (err) {
        // A NATS cluster electing a leader after losing a node answers with timeouts or "jetstream is not enabled"
        // for a while: the intake resumes once it answers again, instead of ending and leaving the leader deaf.
        if (stopping) break;
        log.warn({ err: String(err) }, 'alert intake interrupted; resuming in a second');
        await sleep(1_000);
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      await messages?.close();
      await loop.catch(() => undefined);
      await Promise.all(inFlight);
    },
  };
}
