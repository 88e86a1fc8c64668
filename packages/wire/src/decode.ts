import { decodeWithJsonParse } from './decode-json.js';
import { pending } from './decode-pending.js';
import { SCAN_DECLINED, scanMessage } from './decode-scan.js';
import type { DecodeStats } from './decode-stats.js';
import { MAX_GPUS_PER_MESSAGE, REJECT_REASON_ID, type RejectReason } from './message.js';
import type { SampleBatch } from './sample-batch.js';

export interface DecodeLimits {
  /** How far a sample's ts may lie ahead of the decoder's clock (agent clock skew). */
  readonly futureSkewMs: number;
  /** How old a sample may be: the raw retention, beyond which the store would drop it anyway. */
  readonly maxAgeMs: number;
  /**
   * Partitions of the GPU stream (default 1). A subject may carry the partition token the servers' mapping appends,
   * and it must be the rack's partition; the bare subject is valid only with one partition.
   */
  readonly partitions?: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  futureSkewMs: 5 * 60_000,
  maxAgeMs: 14 * 24 * 3_600_000,
});

export interface DecodeAccepted {
  readonly ok: true;
  /** GPU-samples appended to the batch. */
  readonly rows: number;
}

export interface DecodeRejected {
  readonly ok: false;
  readonly reason: RejectReason;
  /** What was wrong, naming the field path and what was expected; goes to the dead-letter entry. */
  readonly detail: string;
}

export type DecodeResult = DecodeAccepted | DecodeRejected;

/** Accepted results by row count, shared so that accepting a message allocates no result. */
const ACCEPTED: readonly DecodeAccepted[] = Array.from({ length: MAX_GPUS_PER_MESSAGE + 1 }, (_, rows) =>
  Object.freeze({ ok: true as const, rows }),
);

/**
 * Decodes one wire-v1 message (docs/wire.md) received on `subject`, appending one row per GPU to
 * `out`. A message is accepted whole or rejected whole: on reject nothing is appended, and the reason and a detail
 * naming the offending field are returned for the dead-letter entry. A metric that is not a finite number in its
 * physical range is stored as absent (NaN) and counted in stats.fieldFaults; unknown fields are ignored and
 * counted. Checks run in this order, so each message has one well-defined reason: body size, UTF-8 and JSON, `v`,
 * cluster, rack, host, seq, ts, gpus, the subject, the ts window, then each GPU entry in array order (gpu, uuid,
 * job, repeated index).
 *
 * Two paths, one meaning: a byte scanner takes the common case (ASCII, no escapes, known fields, a valid message)
 * straight into the batch without building a JSON tree, and declines anything else to the general JSON.parse path,
 * which alone decides rejects and their details. String columns hold strings shared across messages where the
 * scanner took them (interned), else the strings JSON.parse produced.
 *
 * @param nowMs the decoder's clock, Unix milliseconds, for the ts window
 * @param messageIndex the caller's number for this message (uint32), stored in out.message of each row it adds
 * @throws RangeError when `out` has fewer than MAX_GPUS_PER_MESSAGE free rows (flush it first)
 */
export function decodeMessage(
  subject: string,
  body: Uint8Array,
  nowMs: number,
  limits: DecodeLimits,
  out: SampleBatch,
  stats: DecodeStats,
  messageIndex: number,
): DecodeResult {
  if (out.free < MAX_GPUS_PER_MESSAGE) {
    throw new RangeError(
      `SampleBatch has ${out.free} free rows, decodeMessage needs ${MAX_GPUS_PER_MESSAGE}: flush the batch first`,
    );
  }
  pending.clear();
  let decoded: number | DecodeRejected = scanMessage(subject, body, nowMs, limits, out, messageIndex);
  if (decoded === SCAN_DECLINED) {
    pending.clear();
    decoded = decodeWithJsonParse(subject, body, nowMs, limits, out, messageIndex);
  }
  if (typeof decoded !== 'number') {
    stats.rejected[REJECT_REASON_ID[decoded.reason]]!++;
    return decoded;
  }
  out.length += decoded;
  stats.accepted++;
  stats.rows += decoded;
  pending.commitTo(stats);
  return ACCEPTED[decoded]!;
}
