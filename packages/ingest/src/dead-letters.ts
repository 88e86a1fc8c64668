import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { publishDeadLetter } from '@kiln/nats';
import type { IngestStore } from './ingest-store.js';

/** A message ingest refuses, and why. */
export interface RejectedMessage {
  readonly msg: Pick<JsMsg, 'subject' | 'seq' | 'data'>;
  readonly reason: string;
  readonly detail: string;
}

/**
 * Stores rejected messages read from `stream`: the original bytes to the dead-letter stream (one id per stream
 * sequence, so a replay is dropped), then a row per message in the dead-letter table under `token`.
 */
export async function storeDeadLetters(
  js: JetStreamClient,
  store: IngestStore,
  stream: string,
  rejected: readonly RejectedMessage[],
  receivedAt: number,
  token: string,
): Promise<void> {
  const acks = await Promise.all(
    rejected.map((r) =>
      publishDeadLetter(js, {
        stream,
        seq: r.msg.seq,
        subject: r.msg.subject,
        reason: r.reason,
        detail: r.detail,
        data: r.msg.data,
      }),
    ),
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
