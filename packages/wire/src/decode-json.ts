import { METRICS, METRIC_COUNT } from './catalog.js';
import type { DecodeLimits, DecodeRejected } from './decode.js';
import { pending } from './decode-pending.js';
import {
  MAX_BODY_BYTES,
  MAX_GPU_INDEX,
  MAX_GPUS_PER_MESSAGE,
  MAX_JOB_LENGTH,
  UUID_MAX_LENGTH,
  UUID_MIN_LENGTH,
  UUID_PATTERN,
  WIRE_VERSION,
  type RejectReason,
} from './message.js';
import type { SampleBatch } from './sample-batch.js';
import { isGpuSubjectOf, isSubjectToken, parseGpuSubject, partitionOf } from './subjects.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const METRIC_KEYS: readonly string[] = METRICS.map((m) => m.name);
const METRIC_MIN = Float64Array.from(METRICS, (m) => m.min);
const METRIC_MAX = Float64Array.from(METRICS, (m) => m.max);
const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(['v', 'cluster', 'rack', 'host', 'seq', 'ts', 'gpus']);
const GPU_KEYS: ReadonlySet<string> = new Set(['gpu', 'uuid', 'job', ...METRIC_KEYS]);
/** Keys every GPU entry has once its required fields are validated. */
const REQUIRED_GPU_KEY_COUNT = 2;

type JsonObject = { readonly [key: string]: unknown };

/**
 * The general decode path: JSON.parse, then every check of the contract in decodeMessage's documented order, each
 * failure with its precise reason and detail. Writes the rows after out.length and returns their count, or why the
 * message is rejected; rows written before a rejection lie beyond out.length and are overwritten by the next message.
 * Field faults and unknown fields go to `pending`.
 */
export function decodeWithJsonParse(
  subject: string,
  body: Uint8Array,
  nowMs: number,
  limits: DecodeLimits,
  out: SampleBatch,
  messageIndex: number,
): number | DecodeRejected {
  if (body.byteLength > MAX_BODY_BYTES) {
    return rejection('oversize', `body is ${body.byteLength} bytes, the limit is ${MAX_BODY_BYTES}`);
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return rejection('invalid_json', 'body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return rejection('invalid_json', `body is not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(parsed)) return rejection('invalid_json', `body: expected a JSON object, got ${show(parsed)}`);
  const msg = parsed;

  const v = msg.v;
  if (v === undefined) return missingField('v');
  if (v !== WIRE_VERSION) return rejection('wrong_version', `v: expected ${WIRE_VERSION}, got ${show(v)}`);
  const cluster = readToken(msg, 'cluster');
  if (typeof cluster !== 'string') return cluster;
  const rack = readToken(msg, 'rack');
  if (typeof rack !== 'string') return rack;
  const host = readToken(msg, 'host');
  if (typeof host !== 'string') return host;
  const seq = readInteger(msg, 'seq', -1, 0, Number.MAX_SAFE_INTEGER);
  if (typeof seq !== 'number') return seq;
  const ts = readInteger(msg, 'ts', -1, 1, Number.MAX_SAFE_INTEGER);
  if (typeof ts !== 'number') return ts;
  const gpus = msg.gpus;
  if (gpus === undefined) return missingField('gpus');
  if (!Array.isArray(gpus) || gpus.length < 1 || gpus.length > MAX_GPUS_PER_MESSAGE) {
    return rejection(
      'bad_field',
      `gpus: expected an array of 1..${MAX_GPUS_PER_MESSAGE} GPU entries, got ${show(gpus)}`,
    );
  }
  if (!isGpuSubjectOf(subject, cluster, rack, host, limits.partitions))
    return subjectMismatch(subject, cluster, rack, host, limits.partitions ?? 1);
  if (ts > nowMs + limits.futureSkewMs) {
    return rejection(
      'future_ts',
      `ts: ${ts} is ${ts - nowMs} ms ahead of now (${nowMs}), the allowed skew is ${limits.futureSkewMs} ms`,
    );
  }
  if (ts < nowMs - limits.maxAgeMs) {
    return rejection(
      'expired_ts',
      `ts: ${ts} is ${nowMs - ts} ms old, older than the raw retention of ${limits.maxAgeMs} ms`,
    );
  }
  if (countKeys(msg) !== TOP_LEVEL_KEYS.size) collectUnknownFields(msg, TOP_LEVEL_KEYS, '');

  const values = out.values;
  let seenGpus = 0; // bit i set: index i already used in this message
  for (let i = 0; i < gpus.length; i++) {
    const entry: unknown = gpus[i];
    if (!isJsonObject(entry))
      return rejection('bad_field', `gpus[${i}]: expected a GPU entry object, got ${show(entry)}`);
    const gpu = readInteger(entry, 'gpu', i, 0, MAX_GPU_INDEX);
    if (typeof gpu !== 'number') return gpu;
    const uuid = entry.uuid;
    if (uuid === undefined) return missingField(`gpus[${i}].uuid`);
    if (!isUuid(uuid)) {
      return rejection(
        'bad_field',
        `gpus[${i}].uuid: expected "GPU-…" or "MIG-…" (letters, digits, '-', '/'), ${UUID_MIN_LENGTH}..${UUID_MAX_LENGTH} chars, got ${show(uuid)}`,
      );
    }
    const job = entry.job;
    if (job !== undefined && !(typeof job === 'string' && job.length > 0 && job.length <= MAX_JOB_LENGTH)) {
      return rejection(
        'bad_field',
        `gpus[${i}].job: expected a string of 1..${MAX_JOB_LENGTH} chars, got ${show(job)}`,
      );
    }
    if ((seenGpus & (1 << gpu)) !== 0) return duplicateGpu(gpus, i, gpu);
    seenGpus |= 1 << gpu;

    const row = out.length + i;
    out.ts[row] = ts;
    out.gpu[row] = gpu;
    out.message[row] = messageIndex;
    out.cluster[row] = cluster;
    out.rack[row] = rack;
    out.host[row] = host;
    out.uuid[row] = uuid;
    out.job[row] = job ?? '';
    let knownKeys = REQUIRED_GPU_KEY_COUNT + (job === undefined ? 0 : 1);
    const base = row * METRIC_COUNT;
    for (let m = 0; m < METRIC_COUNT; m++) {
      const x = entry[METRIC_KEYS[m]!];
      if (x === undefined) {
        values[base + m] = NaN;
        continue;
      }
      knownKeys++;
      // Comparisons with NaN are false, and ±Infinity and DCGM's blank sentinels lie outside every range.
      if (typeof x === 'number' && x >= METRIC_MIN[m]! && x <= METRIC_MAX[m]!) {
        values[base + m] = x;
      } else {
        values[base + m] = NaN;
        pending.addFault(m);
      }
    }
    if (countKeys(entry) !== knownKeys) collectUnknownFields(entry, GPU_KEYS, 'gpus[].');
  }
  return gpus.length;
}

function isJsonObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isUuid(x: unknown): x is string {
  return typeof x === 'string' && x.length >= UUID_MIN_LENGTH && x.length <= UUID_MAX_LENGTH && UUID_PATTERN.test(x);
}

function readToken(msg: JsonObject, key: 'cluster' | 'rack' | 'host'): string | DecodeRejected {
  const x = msg[key];
  if (typeof x === 'string' && isSubjectToken(x)) return x;
  if (x === undefined) return missingField(key);
  return rejection('bad_field', `${key}: expected a subject token [A-Za-z0-9_-]{1,64}, got ${show(x)}`);
}

/** Reads an integer in [min, max]; gpuIndex < 0 for a top-level field. */
function readInteger(
  obj: JsonObject,
  key: string,
  gpuIndex: number,
  min: number,
  max: number,
): number | DecodeRejected {
  const x = obj[key];
  if (typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max) return x;
  const path = gpuIndex < 0 ? key : `gpus[${gpuIndex}].${key}`;
  if (x === undefined) return missingField(path);
  return rejection('bad_field', `${path}: expected an integer ${min}..${max}, got ${show(x)}`);
}

function countKeys(obj: JsonObject): number {
  let n = 0;
  for (const _ in obj) n++;
  return n;
}

function collectUnknownFields(obj: JsonObject, known: ReadonlySet<string>, prefix: string): void {
  for (const key in obj) if (!known.has(key)) pending.unknownFields.push(prefix + key);
}

function rejection(reason: RejectReason, detail: string): DecodeRejected {
  return { ok: false, reason, detail };
}

function missingField(path: string): DecodeRejected {
  return rejection('missing_field', `${path}: required field is missing`);
}

function subjectMismatch(
  subject: string,
  cluster: string,
  rack: string,
  host: string,
  partitions: number,
): DecodeRejected {
  const parts = parseGpuSubject(subject);
  if (parts === undefined) {
    return rejection('subject_mismatch', `subject ${show(subject)} is not kiln.v1.gpu.<cluster>.<rack>.<host>`);
  }
  const body = { cluster, rack, host };
  const field = (['cluster', 'rack', 'host'] as const).find((k) => parts[k] !== body[k]);
  if (field === undefined) {
    // Tokens agree: the partition suffix is wrong (published past the servers' mapping) or missing.
    const expected = partitionOf(rack, partitions);
    return rejection(
      'subject_mismatch',
      parts.partition === undefined
        ? `subject ${show(subject)} has no partition token; with ${partitions} partitions rack ${show(rack)} maps to partition ${expected}`
        : `subject ${show(subject)} names partition ${parts.partition}, but rack ${show(rack)} is in partition ${expected} of ${partitions}`,
    );
  }
  return rejection(
    'subject_mismatch',
    `${field}: body has ${show(body[field])} but subject ${show(subject)} has ${show(parts[field])}`,
  );
}

function duplicateGpu(gpus: readonly unknown[], i: number, gpu: number): DecodeRejected {
  const first = gpus.findIndex((g) => isJsonObject(g) && g.gpu === gpu);
  return rejection('duplicate_gpu', `gpus[${i}].gpu: index ${gpu} already appears in gpus[${first}]`);
}

const SHOW_MAX_CHARS = 60;

/** A short rendering of a received value for reject details. */
function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object' && x !== null) return 'an object';
  const text = typeof x === 'number' ? String(x) : JSON.stringify(x);
  return text.length > SHOW_MAX_CHARS ? `${text.slice(0, SHOW_MAX_CHARS)}…` : text;
}
