import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { dlqSubject } from '@kiln/wire';
import type { Rejected } from './ingest-batch.js';
import type { AggregatorStore } from './store.js';

/**
 * Sends rejected messages whole to kiln.v1.dlq.<reason> (their original subject and stream sequence in headers) and
 * lists them in the dead-letter table. The ids and the token are built from the messages, so a retry stores nothing
 * twice.
 */
export async function deadLetter(
  js: JetStreamClient,
  store: AggregatorStore,
  stream: string,
  rejected: readonly Rejected[],
  receivedAt: number,
  token: string,
): Promise<void> {
  const acks = await Promise.all(
    rejected.map((r) => {
      const h = natsHeaders();
      h.set('Kiln-Reason', r.reason);
      h.set('Kiln-Detail', r.detail.slice(0, 1000).replace(/[\r\n]/g, ' '));
      h.set('Kiln-Original-Subject', r.msg.subject);
      h.set('Kiln-Stream-Seq', String(r.msg.seq));
      return js.publish(dlqSubject(r.reason), r.msg.data, { msgID: `dlq:${stream}:${r.msg.seq}`, headers: h });
    }),
  );
  await store.insertDeadLetters(
    rejected.map((r, i) => ({
      receivedAt,
      subject: r.msg.subject,
      reason: r.reason,
      detail: r.detail,
      body: r.msg.data,
      // Where the original bytes are kept: its sequence in the dead-letter stream.
      streamSeq: acks[i]!.seq,
    })),
    `dead_letters:${token}`,
  );
}
