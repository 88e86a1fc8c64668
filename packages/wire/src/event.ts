import {
  MAX_GPU_INDEX,
  UUID_MAX_LENGTH,
  UUID_MIN_LENGTH,
  UUID_PATTERN,
  WIRE_VERSION,
  type RejectReason,
} from './message.js';
import { SUBJECT_TOKEN_PATTERN } from './subjects.js';

/**
 * Event contract v1: things that happen on a GPU host (an Xid in the kernel log), not levels. Samples say what a GPU
 * reads now; an event says that something happened once, so every occurrence is its own message and its own row.
 */

export const EVENT_SUBJECT_PREFIX = 'kiln.v1.event';
/** Every event subject: kiln.v1.event.<cluster>.<rack>.<host>. */
export const EVENT_SUBJECTS = `${EVENT_SUBJECT_PREFIX}.>`;
/** The message text is cut to this many UTF-8 bytes by the agent; longer is a bad event. */
export const MAX_EVENT_MESSAGE_BYTES = 1024;
/** A whole event body: the fields plus a full message leave room to spare. */
export const MAX_EVENT_BODY_BYTES = 4096;
export const EVENT_KINDS = ['xid'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
/** Xid codes are 16-bit in the driver's reports (and in the detector's code table). */
export const MAX_XID_CODE = 65535;

/** An Xid the driver logged. `gpu` and `uuid` come together, when the agent could map the PCI bus id to a GPU. */
export interface XidEvent {
  v: 1;
  cluster: string;
  rack: string;
  host: string;
  /** The host's event sequence (Nats-Msg-Id <host>:e<seq>), separate from its sample sequence. */
  seq: number;
  /** Unix milliseconds, event time. */
  ts: number;
  kind: 'xid';
  gpu?: number;
  uuid?: string;
  code: number;
  /** The driver's text after the code, at most MAX_EVENT_MESSAGE_BYTES of UTF-8. */
  message: string;
}

export type GpuEvent = XidEvent;

export function eventSubject(cluster: string, rack: string, host: string): string {
  for (const t of [cluster, rack, host]) {
    if (!SUBJECT_TOKEN_PATTERN.test(t))
      throw new Error(`invalid subject token ${JSON.stringify(t)}: must match [A-Za-z0-9_-]{1,64}`);
  }
  return `${EVENT_SUBJECT_PREFIX}.${cluster}.${rack}.${host}`;
}

/** Parses kiln.v1.event.<cluster>.<rack>.<host>; undefined when the subject is not one. */
export function parseEventSubject(subject: string): { cluster: string; rack: string; host: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 6 || parts[0] !== 'kiln' || parts[1] !== 'v1' || parts[2] !== 'event') return undefined;
  const [, , , cluster, rack, host] = parts as [string, string, string, string, string, string];
  if (!SUBJECT_TOKEN_PATTERN.test(cluster) || !SUBJECT_TOKEN_PATTERN.test(rack) || !SUBJECT_TOKEN_PATTERN.test(host))
    return undefined;
  return { cluster, rack, host };
}

/** Nats-Msg-Id of an event: <host>:e<seq>, apart from the host's sample ids <host>:<seq>. */
export function eventMessageId(host: string, seq: number): string {
  return `${host}:e${seq}`;
}

/** At most `limit` bytes of UTF-8, cut at a character boundary: how the agent fits a driver message to the contract. */
export function clipUtf8(text: string, limit: number = MAX_EVENT_MESSAGE_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  let end = limit;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** The JSON body of an event, fields in contract order; throws when the event breaks the contract (a bug in the sender). */
export function encodeEvent(event: GpuEvent): string {
  const problem = eventProblem(event as unknown as Record<string, unknown>);
  if (problem !== undefined) throw new TypeError(`cannot encode event: ${problem.detail}`);
  const { v, cluster, rack, host, seq, ts, kind, gpu, uuid, code, message } = event;
  return JSON.stringify(
    gpu === undefined
      ? { v, cluster, rack, host, seq, ts, kind, code, message }
      : { v, cluster, rack, host, seq, ts, kind, gpu, uuid, code, message },
  );
}

export interface EventDecodeLimits {
  /** How far an event's ts may lie ahead of the decoder's clock. */
  readonly futureSkewMs: number;
  /** How old an event may be: the table's retention, beyond which it would be dropped anyway. */
  readonly maxAgeMs: number;
}

export type EventDecodeResult = { ok: true; event: GpuEvent } | { ok: false; reason: RejectReason; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates an event where it enters the aggregator. A rejection names one of the wire RejectReasons, so
 * bad events are dead-lettered and counted like bad samples. Unknown fields are ignored (a newer agent may add some).
 */
export function decodeEvent(
  subject: string,
  body: Uint8Array,
  nowMs: number,
  limits: EventDecodeLimits,
): EventDecodeResult {
  if (body.length > MAX_EVENT_BODY_BYTES)
    return {
      ok: false,
      reason: 'oversize',
      detail: `body is ${body.length} bytes, the limit is ${MAX_EVENT_BODY_BYTES}`,
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', detail: `not UTF-8 JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, reason: 'invalid_json', detail: 'the body is not a JSON object' };
  const fields = parsed as Record<string, unknown>;
  const problem = eventProblem(fields);
  if (problem !== undefined) return { ok: false, ...problem };
  const event = fields as unknown as GpuEvent;
  const parts = parseEventSubject(subject);
  if (
    parts === undefined ||
    parts.cluster !== event.cluster ||
    parts.rack !== event.rack ||
    parts.host !== event.host
  ) {
    return {
      ok: false,
      reason: 'subject_mismatch',
      detail: `cluster/rack/host ${event.cluster}/${event.rack}/${event.host} do not match the subject ${subject}`,
    };
  }
  if (event.ts > nowMs + limits.futureSkewMs) {
    return {
      ok: false,
      reason: 'future_ts',
      detail: `ts: ${event.ts} is ${event.ts - nowMs} ms ahead of now (${nowMs}), the allowed skew is ${limits.futureSkewMs} ms`,
    };
  }
  if (event.ts < nowMs - limits.maxAgeMs) {
    return {
      ok: false,
      reason: 'expired_ts',
      detail: `ts: ${event.ts} is ${nowMs - event.ts} ms old, older than the retention of ${limits.maxAgeMs} ms`,
    };
  }
  const { v, cluster, rack, host, seq, ts, kind, gpu, uuid, code, message } = event;
  return {
    ok: true,
    event:
      gpu === undefined
        ? { v, cluster, rack, host, seq, ts, kind, code, message }
        : { v, cluster, rack, host, seq, ts, kind, gpu, uuid: uuid!, code, message },
  };
}

const REQUIRED = ['v', 'cluster', 'rack', 'host', 'seq', 'ts', 'kind', 'code', 'message'] as const;

/** The first way `e` breaks the contract, subject and clock aside. */
function eventProblem(e: Record<string, unknown>): { reason: RejectReason; detail: string } | undefined {
  for (const name of REQUIRED)
    if (e[name] === undefined) return { reason: 'missing_field', detail: `${name} is required` };
  if (e.v !== WIRE_VERSION) return { reason: 'wrong_version', detail: `v: expected 1, got ${JSON.stringify(e.v)}` };
  const bad = (detail: string) => ({ reason: 'bad_field' as const, detail });
  for (const name of ['cluster', 'rack', 'host'] as const) {
    if (typeof e[name] !== 'string' || !SUBJECT_TOKEN_PATTERN.test(e[name]))
      return bad(`${name}: expected a subject token [A-Za-z0-9_-]{1,64}`);
  }
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 0) return bad('seq: expected a non-negative integer');
  if (!Number.isSafeInteger(e.ts) || (e.ts as number) <= 0)
    return bad('ts: expected Unix milliseconds (a positive integer)');
  if (!(EVENT_KINDS as readonly unknown[]).includes(e.kind))
    return bad(`kind: expected one of ${EVENT_KINDS.join(', ')}, got ${JSON.stringify(e.kind)}`);
  if (e.gpu !== undefined || e.uuid !== undefined) {
    if (!Number.isInteger(e.gpu) || (e.gpu as number) < 0 || (e.gpu as number) > MAX_GPU_INDEX)
      return bad(`gpu: expected an index 0..${MAX_GPU_INDEX} with uuid`);
    const uuid = e.uuid;
    if (
      typeof uuid !== 'string' ||
      uuid.length < UUID_MIN_LENGTH ||
      uuid.length > UUID_MAX_LENGTH ||
      !UUID_PATTERN.test(uuid)
    ) {
      return bad('uuid: expected a GPU or MIG UUID with gpu');
    }
  }
  if (!Number.isInteger(e.code) || (e.code as number) < 0 || (e.code as number) > MAX_XID_CODE)
    return bad(`code: expected an Xid code 0..${MAX_XID_CODE}`);
  if (typeof e.message !== 'string') return bad('message: expected a string');
  if (Buffer.byteLength(e.message, 'utf8') > MAX_EVENT_MESSAGE_BYTES)
    return bad(`message: longer than ${MAX_EVENT_MESSAGE_BYTES} bytes of UTF-8`);
  return undefined;
}
