import { headers as natsHeaders } from '@nats-io/nats-core';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { dlqSubject } from '@kiln/wire';

/** A message that cannot be processed, with where it was read and why it is refused. */
export interface DeadLetter {
  /** The stream and sequence it was read from: they make the publish idempotent (a redelivery is dropped). */
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  /** The last token of its dead-letter subject, kiln.v1.dlq.<reason>. */
  readonly reason: string;
  /** What was wrong, for whoever reads the dead letter. */
  readonly detail: string;
  readonly data: Uint8Array;
}

/** Header values are single lines; a detail longer than this is cut (the full text is in the log). */
const DETAIL_HEADER_LIMIT = 1000;

/**
 * Publishes the message's original bytes to kiln.v1.dlq.<reason>, with the reason, detail, original subject and
 * stream sequence as Kiln-* headers. The message id `dlq:<stream>:<seq>` lets JetStream drop a second publish of the
 * same message within the duplicate window (a redelivery after a crash before the ack).
 */
export function publishDeadLetter(js: JetStreamClient, letter: DeadLetter): Promise<PubAck> {
  const h = natsHeaders();
  h.set('Kiln-Reason', letter.reason);
  h.set('Kiln-Detail', letter.detail.slice(0, DETAIL_HEADER_LIMIT).replace(/[\r\n]/g, ' '));
  h.set('Kiln-Original-Subject', letter.subject);
  h.set('Kiln-Stream-Seq', String(letter.seq));
  return js.publish(dlqSubject(letter.reason), letter.data, {
    msgID: `dlq:${letter.stream}:${letter.seq}`,
    headers: h,
  });
}
