import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { GPU_STREAM } from '@kiln/nats';
import { dlqSubject } from '@kiln/wire';
import type { IngestBatch } from './ingest-batch.js';
import type { IngestStore } from './ingest-store.js';

/**
 * Stores a batch's rejected messages: the original bytes to the dead-letter stream (one id per stream sequence, so a
 * replay is dropped), then a row per message in the dead-letter table under the batch's token.
 */
export async function storeDeadLetters(js: JetStreamClient, store: IngestStore, b: IngestBatch, token: string): Promise<void> {
  const acks = await Promise.all(
    b.rejected.map((r) => {
      const h = natsHeaders();
      h.set('Kiln-Reason', r.reason);
      h.set('Kiln-Detail', r.detail.slice(0, 1000).replace(/[\r\n]/g, ' '));
      h.set('Kiln-Original-Subject', r.msg.subject);
      h.set('Kiln-Stream-Seq', String(r.msg.seq));
      return js.publish(dlqSubject(r.reason), r.msg.data, { msgID: `dlq:${GPU_STREAM}:${r.msg.seq}`, headers: h });
    }),
  );
  await store.insertDeadLetters(
    b.rejected.map((r, i) => ({
      receivedAt: b.nowMs,
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
