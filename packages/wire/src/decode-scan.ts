import { METRICS, METRIC_COUNT } from './catalog.js';
import type { DecodeLimits } from './decode.js';
import { pending } from './decode-pending.js';
import {
  MAX_BODY_BYTES,
  MAX_GPU_INDEX,
  MAX_GPUS_PER_MESSAGE,
  MAX_JOB_LENGTH,
  UUID_MAX_LENGTH,
  UUID_MIN_LENGTH,
  WIRE_VERSION,
} from './message.js';
import type { SampleBatch } from './sample-batch.js';
import { isGpuSubjectOf } from './subjects.js';

/**
 * The fast decode path: one pass over the body bytes straight into the batch, with no JSON.parse tree, and strings
 * (cluster, rack, host, uuid, job) reused from an intern table instead of created per message.
 *
 * It handles the common case only: ASCII JSON without string escapes, known fields each at most once, numeric
 * metrics, and a message that passes every contract check. For anything else it declines, and decodeMessage takes
 * the general path, which then decides with its precise reasons. So the scanner needs no reject details, and whatever
 * it accepts, the general path accepts with the same rows (the decode-scan tests check this on mutated bodies).
 */

/** scanMessage's answer when the message is not the common case. */
export const SCAN_DECLINED = -1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const FIRST_NON_CONTROL = 0x20;
const FIRST_NON_ASCII = 0x80;

/** Byte classes: a string's classes ANDed check its alphabet in the same pass; STRING_STOP ends a plain string
 *  (its closing quote, or an escape, control character or non-ASCII byte, which the scanner leaves to JSON.parse). */
const TOKEN_CHAR = 1; // [A-Za-z0-9_-]
const UUID_CHAR = 2; // [A-Za-z0-9/-]
const STRING_STOP = 4;
const BYTE_CLASS = new Uint8Array(256).fill(STRING_STOP);
BYTE_CLASS.fill(0, FIRST_NON_CONTROL, FIRST_NON_ASCII);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-') {
  BYTE_CLASS[c.charCodeAt(0)] = TOKEN_CHAR | UUID_CHAR;
}
BYTE_CLASS['_'.charCodeAt(0)] = TOKEN_CHAR;
BYTE_CLASS['/'.charCodeAt(0)] = UUID_CHAR;
BYTE_CLASS[QUOTE] = STRING_STOP;
BYTE_CLASS[BACKSLASH] = STRING_STOP;
const MAX_TOKEN_LENGTH = 64;

/** Field ids: the top-level fields, then the GPU entry fields (gpu, uuid, job, then the metrics in catalog order). */
const TOP_LEVEL_KEYS = ['v', 'cluster', 'rack', 'host', 'seq', 'ts', 'gpus'] as const;
const [K_V, K_CLUSTER, K_RACK, K_HOST, K_SEQ, K_TS, K_GPUS] = [0, 1, 2, 3, 4, 5, 6] as const;
const K_GPU = TOP_LEVEL_KEYS.length;
const K_UUID = K_GPU + 1;
const K_JOB = K_GPU + 2;
const K_FIRST_METRIC = K_GPU + 3;
const KEYS: readonly string[] = [...TOP_LEVEL_KEYS, 'gpu', 'uuid', 'job', ...METRICS.map((m) => m.name)];
/** The top-level fields seen, a bit per field id. */
const ALL_TOP_LEVEL_SEEN = (1 << TOP_LEVEL_KEYS.length) - 1;

const METRIC_MIN = Float64Array.from(METRICS, (m) => m.min);
const METRIC_MAX = Float64Array.from(METRICS, (m) => m.max);

/** Powers of ten that doubles hold exactly: with an integer mantissa below 2^53, one multiply or divide by one of
 *  them is correctly rounded (Clinger's fast path), so the result equals what JSON.parse returns. */
const EXACT_POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Hash of a string's bytes from its length and last 8 bytes, where uuids, hosts and job ids differ. Equal hashes are
 *  always confirmed byte for byte, so a weak hash costs only a lookup miss. */
function stringHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = end - start;
  for (let i = Math.max(start, end - 8); i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash;
}

/** Open-addressed table from key hash to field id. */
const KEY_SLOTS = 128;
const keySlot = new Int8Array(KEY_SLOTS).fill(-1);
const KEY_BYTES: readonly Uint8Array[] = KEYS.map((k) => new TextEncoder().encode(k));
const KEY_HASH = Int32Array.from(KEY_BYTES, (k) => stringHash(k, 0, k.length));
/** Each key as the encoder writes it, `"name":`, to recognize the expected next key in one comparison; all in one
 *  array, key id's token at [KEY_TOKEN_AT[id], KEY_TOKEN_AT[id + 1]). */
const KEY_TOKENS = new TextEncoder().encode(KEYS.map((k) => `"${k}":`).join(''));
const KEY_TOKEN_AT = Uint16Array.from({ length: KEYS.length + 1 }, (_, id) =>
  KEYS.slice(0, id).reduce((at, k) => at + k.length + 3, 0),
);
KEYS.forEach((_, id) => {
  let slot = KEY_HASH[id]! & (KEY_SLOTS - 1);
  while (keySlot[slot]! >= 0) slot = (slot + 1) & (KEY_SLOTS - 1);
  keySlot[slot] = id;
});

function asciiString(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

/**
 * Strings seen recently, by content hash: agents send the same cluster, rack, host, uuid and job every tick, so the
 * batch gets the same string objects again and allocation stays flat. Two-way set-associative (a new string takes the
 * set's first entry and moves the one there to the second), sized for a large fleet per process. Measured on the
 * bench's 20,016-GPU fleet (25,577 distinct uuids, hosts, racks, jobs): 2.6% of the strings in a tick miss, against
 * 37% with the direct-mapped table of 16,384 entries this replaces. A miss makes a new string: garbage, and a new
 * object for every cache keyed by label downstream to hash again.
 */
const INTERN_SETS = 1 << 16;
const internHash = new Int32Array(2 * INTERN_SETS);
const internText: string[] = new Array<string>(2 * INTERN_SETS).fill('');

function internedAt(slot: number, bytes: Uint8Array, start: number, end: number, hash: number): boolean {
  const known = internText[slot]!;
  if (internHash[slot] !== hash || known.length !== end - start) return false;
  let i = 0;
  while (i < known.length && known.charCodeAt(i) === bytes[start + i]) i++;
  return i === known.length;
}

function intern(bytes: Uint8Array, start: number, end: number, hash: number): string {
  const first = ((hash ^ (hash >>> 16)) & (INTERN_SETS - 1)) << 1;
  if (internedAt(first, bytes, start, end, hash)) return internText[first]!;
  if (internedAt(first + 1, bytes, start, end, hash)) return internText[first + 1]!;
  const text = asciiString(bytes, start, end);
  internHash[first + 1] = internHash[first]!;
  internText[first + 1] = internText[first]!;
  internHash[first] = hash;
  internText[first] = text;
  return text;
}

class MessageScanner {
  private bytes: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Set by string(): the string's character classes ANDed, and its first byte offset. */
  private stringClass = 0;
  private stringStart = 0;
  private seenGpus = 0;
  /**
   * The GPU entry in which each field was last seen (by field id): a GPU entry has more fields than a 32-bit set
   * holds, and stamping an entry number allocates nothing per entry.
   */
  private readonly fieldSeenIn = new Uint32Array(KEYS.length);
  private entry = 0;
  /** Set by number(). */
  private value = 0;

  scan(
    subject: string,
    body: Uint8Array,
    nowMs: number,
    limits: DecodeLimits,
    out: SampleBatch,
    messageIndex: number,
  ): number {
    if (body.byteLength > MAX_BODY_BYTES) return SCAN_DECLINED;
    this.bytes = body;
    this.pos = 0;
    this.seenGpus = 0;
    if (this.next() !== OPEN_BRACE) return SCAN_DECLINED;
    let seen = 0;
    let ts = NaN;
    let cluster = '';
    let rack = '';
    let host = '';
    let rows = 0;
    for (let key = K_V - 1; ; ) {
      key = this.key(key + 1);
      if (key < 0 || key >= K_GPU || (seen & (1 << key)) !== 0) return SCAN_DECLINED;
      seen |= 1 << key;
      switch (key) {
        case K_V:
          if (!this.number() || this.value !== WIRE_VERSION) return SCAN_DECLINED;
          break;
        case K_SEQ:
          if (!this.number() || !isIntegerIn(this.value, 0, Number.MAX_SAFE_INTEGER)) return SCAN_DECLINED;
          break;
        case K_TS:
          if (!this.number() || !isIntegerIn(this.value, 1, Number.MAX_SAFE_INTEGER)) return SCAN_DECLINED;
          ts = this.value;
          break;
        case K_CLUSTER:
          cluster = this.token();
          if (cluster === '') return SCAN_DECLINED;
          break;
        case K_RACK:
          rack = this.token();
          if (rack === '') return SCAN_DECLINED;
          break;
        case K_HOST:
          host = this.token();
          if (host === '') return SCAN_DECLINED;
          break;
        case K_GPUS:
          rows = this.gpus(out);
          if (rows === SCAN_DECLINED) return SCAN_DECLINED;
          break;
      }
      const after = this.next();
      if (after === CLOSE_BRACE) break;
      if (after !== COMMA) return SCAN_DECLINED;
    }
    if (this.next() !== undefined) return SCAN_DECLINED; // only whitespace may follow the object
    if (
      seen !== ALL_TOP_LEVEL_SEEN ||
      !isGpuSubjectOf(subject, cluster, rack, host, limits.partitions) ||
      ts > nowMs + limits.futureSkewMs ||
      ts < nowMs - limits.maxAgeMs
    ) {
      return SCAN_DECLINED;
    }
    for (let row = out.length; row < out.length + rows; row++) {
      out.ts[row] = ts;
      out.message[row] = messageIndex;
      out.cluster[row] = cluster;
      out.rack[row] = rack;
      out.host[row] = host;
    }
    return rows;
  }

  /** `[ entry, … ]` of 1..MAX_GPUS_PER_MESSAGE GPU entries, written to the rows after out.length. */
  private gpus(out: SampleBatch): number {
    if (this.next() !== OPEN_BRACKET) return SCAN_DECLINED;
    let rows = 0;
    for (;;) {
      if (rows === MAX_GPUS_PER_MESSAGE || !this.gpuEntry(out, out.length + rows)) return SCAN_DECLINED;
      rows++;
      const after = this.next();
      if (after === CLOSE_BRACKET) return rows;
      if (after !== COMMA) return SCAN_DECLINED;
    }
  }

  private gpuEntry(out: SampleBatch, row: number): boolean {
    if (this.next() !== OPEN_BRACE) return false;
    const values = out.values;
    const base = row * METRIC_COUNT;
    values.fill(NaN, base, base + METRIC_COUNT);
    const fieldSeenIn = this.fieldSeenIn;
    // 0 is what the stamps start at: skip it when the entry count wraps.
    const entry = (this.entry = (this.entry + 1) >>> 0 || 1);
    let gpu = NaN;
    let uuid = '';
    let job = '';
    for (let key = K_GPU - 1; ; ) {
      key = this.key(key + 1);
      if (key < K_GPU) return false; // unknown, or a top-level field
      if (fieldSeenIn[key] === entry) return false; // twice in one entry
      fieldSeenIn[key] = entry;
      if (key === K_GPU) {
        if (!this.number() || !isIntegerIn(this.value, 0, MAX_GPU_INDEX)) return false;
        gpu = this.value;
      } else if (key === K_UUID) {
        uuid = this.uuid();
        if (uuid === '') return false;
      } else if (key === K_JOB) {
        job = this.job();
        if (job === '') return false;
      } else {
        const m = key - K_FIRST_METRIC;
        if (!this.number()) return false; // not a number: null, a string…, or bad syntax
        const x = this.value;
        if (x >= METRIC_MIN[m]! && x <= METRIC_MAX[m]!) values[base + m] = x;
        else pending.addFault(m);
      }
      const after = this.next();
      if (after === CLOSE_BRACE) break;
      if (after !== COMMA) return false;
    }
    if (fieldSeenIn[K_GPU] !== entry || fieldSeenIn[K_UUID] !== entry || (this.seenGpus & (1 << gpu)) !== 0)
      return false;
    this.seenGpus |= 1 << gpu;
    out.gpu[row] = gpu;
    out.uuid[row] = uuid;
    out.job[row] = job;
    return true;
  }

  /** The next byte after whitespace, consumed; undefined at the end of the body. */
  private next(): number | undefined {
    const bytes = this.bytes;
    let c = bytes[this.pos++];
    while (c !== undefined && c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09))
      c = bytes[this.pos++];
    return c;
  }

  /**
   * `"name":` with a known name: its field id, else -1. Senders write the fields in one order (the encoder's), so
   * the key after field id k is most often k + 1: `expected` is tried first, byte for byte.
   */
  private key(expected: number): number {
    if (expected < KEYS.length) {
      const bytes = this.bytes;
      const end = KEY_TOKEN_AT[expected + 1]!;
      let t = KEY_TOKEN_AT[expected]!;
      let p = this.pos;
      while (t < end && bytes[p] === KEY_TOKENS[t]) {
        t++;
        p++;
      }
      if (t === end) {
        this.pos = p;
        return expected;
      }
    }
    if (this.next() !== QUOTE) return -1;
    const hash = this.string();
    const start = this.stringStart;
    const length = this.pos - 1 - start;
    if (hash === undefined || this.next() !== COLON) return -1;
    let slot = hash & (KEY_SLOTS - 1);
    for (let id = keySlot[slot]!; id >= 0; slot = (slot + 1) & (KEY_SLOTS - 1), id = keySlot[slot]!) {
      if (KEY_HASH[id] === hash && this.bytesEqual(KEY_BYTES[id]!, start, length)) return id;
    }
    return -1;
  }

  private bytesEqual(expected: Uint8Array, start: number, length: number): boolean {
    if (expected.length !== length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== expected[i]) return false;
    return true;
  }

  /**
   * The rest of a string whose opening quote was just consumed: its hash, with stringStart and stringClass set and
   * pos past the closing quote. Undefined for escapes, control characters, non-ASCII bytes or a missing end quote.
   */
  private string(): number | undefined {
    const bytes = this.bytes;
    const end = bytes.length;
    const start = this.pos;
    let p = start;
    let charClass = TOKEN_CHAR | UUID_CHAR;
    for (; p < end; p++) {
      const byteClass = BYTE_CLASS[bytes[p]!]!;
      if ((byteClass & STRING_STOP) !== 0) break;
      charClass &= byteClass;
    }
    if (bytes[p] !== QUOTE) return undefined;
    this.stringStart = start;
    this.stringClass = charClass;
    this.pos = p + 1;
    return stringHash(bytes, start, p);
  }

  /** A cluster, rack or host subject token; '' if the value is not one. */
  private token(): string {
    if (this.next() !== QUOTE) return '';
    const hash = this.string();
    const start = this.stringStart;
    const end = this.pos - 1;
    if (
      hash === undefined ||
      (this.stringClass & TOKEN_CHAR) === 0 ||
      end === start ||
      end - start > MAX_TOKEN_LENGTH
    ) {
      return '';
    }
    return intern(this.bytes, start, end, hash);
  }

  /** A GPU-… or MIG-… uuid; '' if the value is not one. */
  private uuid(): string {
    if (this.next() !== QUOTE) return '';
    const hash = this.string();
    const bytes = this.bytes;
    const start = this.stringStart;
    const end = this.pos - 1;
    const length = end - start;
    if (
      hash === undefined ||
      (this.stringClass & UUID_CHAR) === 0 ||
      length < UUID_MIN_LENGTH ||
      length > UUID_MAX_LENGTH
    ) {
      return '';
    }
    const prefixed =
      bytes[start + 3] === MINUS &&
      ((bytes[start] === 0x47 && bytes[start + 1] === 0x50 && bytes[start + 2] === 0x55) || // GPU
        (bytes[start] === 0x4d && bytes[start + 1] === 0x49 && bytes[start + 2] === 0x47)); // MIG
    return prefixed ? intern(bytes, start, end, hash) : '';
  }

  /** A job id; '' if the value is not a string of 1..MAX_JOB_LENGTH characters. */
  private job(): string {
    if (this.next() !== QUOTE) return '';
    const hash = this.string();
    const start = this.stringStart;
    const end = this.pos - 1;
    if (hash === undefined || end - start > MAX_JOB_LENGTH) return '';
    return intern(this.bytes, start, end, hash);
  }

  /**
   * A JSON number, exactly as JSON.parse reads it, into `value`; false if the value is not a number. (Handing the
   * number over in a field rather than returning it spares a heap number per call.)
   * A read past the end of the body gives undefined, and undefined ^ DIGIT_0 is 48, no digit: the number ends there.
   */
  private number(): boolean {
    const bytes = this.bytes;
    let c = this.next();
    let p = this.pos; // just past c
    const negative = c === MINUS;
    if (negative) c = bytes[p++];
    const start = p - 1;
    let mantissa = 0;
    let exponent = 0;
    let digit = c! ^ DIGIT_0; // 0..9 for '0'..'9' only
    if (digit === 0) {
      c = bytes[p++];
    } else if (digit <= 9) {
      do {
        mantissa = mantissa * 10 + digit;
        c = bytes[p++];
        digit = c! ^ DIGIT_0;
      } while (digit <= 9);
    } else {
      return false;
    }
    if (c === DOT) {
      c = bytes[p++];
      digit = c! ^ DIGIT_0;
      if (digit > 9) return false;
      do {
        mantissa = mantissa * 10 + digit;
        exponent--;
        c = bytes[p++];
        digit = c! ^ DIGIT_0;
      } while (digit <= 9);
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = bytes[p++];
      const negativeExponent = c === MINUS;
      if (c === MINUS || c === PLUS) c = bytes[p++];
      digit = c! ^ DIGIT_0;
      if (digit > 9) return false;
      let e = 0;
      do {
        if (e < 1e6) e = e * 10 + digit; // beyond this every double is 0 or Infinity anyway
        digit = bytes[p++]! ^ DIGIT_0;
      } while (digit <= 9);
      exponent += negativeExponent ? -e : e;
    }
    this.pos = p - 1; // the byte after the number is not consumed
    let x: number;
    // Every partial mantissa is at most the final one, so a final mantissa within 2^53 was computed exactly.
    if (mantissa <= Number.MAX_SAFE_INTEGER && exponent >= -22 && exponent <= 22) {
      x = exponent < 0 ? mantissa / EXACT_POWERS_OF_TEN[-exponent]! : mantissa * EXACT_POWERS_OF_TEN[exponent]!;
    } else {
      x = Number(asciiString(bytes, start, p - 1));
    }
    this.value = negative ? -x : x;
    return true;
  }
}

function isIntegerIn(x: number, min: number, max: number): boolean {
  return Number.isInteger(x) && x >= min && x <= max;
}

const scanner = new MessageScanner();

/** Decodes the common case of a message into the rows after out.length and returns their count, or SCAN_DECLINED.
 *  Field faults go to `pending`. */
export function scanMessage(
  subject: string,
  body: Uint8Array,
  nowMs: number,
  limits: DecodeLimits,
  out: SampleBatch,
  messageIndex: number,
): number {
  return scanner.scan(subject, body, nowMs, limits, out, messageIndex);
}
