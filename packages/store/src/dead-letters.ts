/** One rejected message, as Grafana lists them (the dead-letter stream keeps the original bytes). */
export interface DeadLetterRow {
  /** When Kiln rejected it, Unix milliseconds. */
  receivedAt: number;
  /** The subject it arrived on. */
  subject: string;
  /** Why it was rejected (a wire RejectReason). */
  reason: string;
  /** A human-readable explanation: which field, what was wrong. */
  detail: string;
  /** The message body; bytes that are not UTF-8 are replaced (U+FFFD). Stored up to DEAD_LETTER_BODY_LIMIT bytes. */
  body: string | Uint8Array;
  /** Its sequence number in the dead-letter stream. */
  streamSeq: number;
}

export const DEAD_LETTER_COLUMNS = ['ts', 'subject', 'reason', 'detail', 'body', 'stream_seq'] as const;

/** 64 KiB: a wire body's own limit, so an oversize body is kept only in part. */
export const DEAD_LETTER_BODY_LIMIT = 64 * 1024;

const utf8 = new TextDecoder('utf-8');

/** At most `limit` bytes of UTF-8, cut at a character boundary. */
export function truncateUtf8(body: string | Uint8Array, limit: number): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.length <= limit) return typeof body === 'string' ? body : utf8.decode(bytes);
  let end = limit;
  // Back off over continuation bytes (10xxxxxx) so the cut never splits a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return utf8.decode(bytes.subarray(0, end));
}

export function deadLetterValues(row: DeadLetterRow): unknown[] {
  return [
    row.receivedAt,
    row.subject,
    row.reason,
    row.detail,
    truncateUtf8(row.body, DEAD_LETTER_BODY_LIMIT),
    row.streamSeq,
  ];
}
