import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  MAX_BODY_BYTES,
  REJECT_REASONS,
  REJECT_REASON_ID,
  partitionOf,
  type RejectReason,
  type WireMessage,
} from '../src/index.js';
import { Decoder, NOW, SUBJECT, exampleGpu, exampleMessage, utf8 } from './fixtures.js';

type Json = Record<string, unknown>;

/** The base of every rejected case: valid, except that gpus[0] carries a field fault and an unknown field, which
 *  must not be counted when the message as a whole is rejected. */
function base(): Json {
  const msg = exampleMessage(3) as unknown as Json & { gpus: Json[] };
  msg.gpus[0]!.temp_c = 9223372036854775794;
  msg.gpus[0]!.fan_pct = 40;
  return msg;
}

function withTop(patch: Json): Json {
  return { ...base(), ...patch };
}

function withoutTop(key: string): Json {
  const msg = base();
  delete msg[key];
  return msg;
}

function withGpu(index: number, patch: Json): Json {
  const msg = base() as Json & { gpus: Json[] };
  msg.gpus[index] = { ...msg.gpus[index], ...patch };
  return msg;
}

function withoutGpuKey(index: number, key: string): Json {
  const msg = base() as Json & { gpus: Json[] };
  delete msg.gpus[index]![key];
  return msg;
}

function padded(totalBytes: number): string {
  const text = JSON.stringify(withTop({ padding: '' }));
  return text.replace('"padding":""', `"padding":"${'x'.repeat(totalBytes - text.length)}"`);
}

interface RejectCase {
  name: string;
  body: unknown;
  subject?: string;
  reason: RejectReason;
  detail: RegExp;
}

const long = (n: number) => 'a'.repeat(n);

const cases: RejectCase[] = [
  {
    name: 'body over 64 KiB',
    body: padded(MAX_BODY_BYTES + 1),
    reason: 'oversize',
    detail: /65537 bytes, the limit is 65536/,
  },
  {
    name: 'invalid UTF-8',
    body: Uint8Array.from([...utf8('{"v":1,"cluster":"'), 0xff, ...utf8('"}')]),
    reason: 'invalid_json',
    detail: /UTF-8/,
  },
  {
    name: 'truncated JSON',
    body: JSON.stringify(base()).slice(0, -1),
    reason: 'invalid_json',
    detail: /not valid JSON/,
  },
  { name: 'empty body', body: '', reason: 'invalid_json', detail: /not valid JSON/ },
  { name: 'JSON array', body: [base()], reason: 'invalid_json', detail: /expected a JSON object, got an array of 1/ },
  { name: 'JSON null', body: 'null', reason: 'invalid_json', detail: /expected a JSON object, got null/ },
  { name: 'JSON string', body: '"v1"', reason: 'invalid_json', detail: /expected a JSON object, got "v1"/ },
  { name: 'v = 2', body: withTop({ v: 2 }), reason: 'wrong_version', detail: /^v: expected 1, got 2$/ },
  { name: 'v = "1"', body: withTop({ v: '1' }), reason: 'wrong_version', detail: /^v: expected 1, got "1"$/ },
  ...['v', 'cluster', 'rack', 'host', 'seq', 'ts', 'gpus'].map(
    (key): RejectCase => ({
      name: `no ${key}`,
      body: withoutTop(key),
      reason: 'missing_field',
      detail: new RegExp(`^${key}: required field is missing$`),
    }),
  ),
  {
    name: 'no gpus[1].gpu',
    body: withoutGpuKey(1, 'gpu'),
    reason: 'missing_field',
    detail: /^gpus\[1\]\.gpu: required/,
  },
  {
    name: 'no gpus[2].uuid',
    body: withoutGpuKey(2, 'uuid'),
    reason: 'missing_field',
    detail: /^gpus\[2\]\.uuid: required/,
  },
  {
    name: 'cluster with a dot',
    body: withTop({ cluster: 'eus2.ai1' }),
    reason: 'bad_field',
    detail: /^cluster: expected a subject token \[A-Za-z0-9_-\]\{1,64\}, got "eus2.ai1"$/,
  },
  { name: 'empty rack', body: withTop({ rack: '' }), reason: 'bad_field', detail: /^rack: expected a subject token/ },
  {
    name: 'host of 65 chars',
    body: withTop({ host: long(65) }),
    reason: 'bad_field',
    detail: /^host: expected a subject token/,
  },
  { name: 'host a number', body: withTop({ host: 7 }), reason: 'bad_field', detail: /^host: .* got 7$/ },
  {
    name: 'negative seq',
    body: withTop({ seq: -1 }),
    reason: 'bad_field',
    detail: /^seq: expected an integer 0\.\.9007199254740991, got -1$/,
  },
  { name: 'fractional seq', body: withTop({ seq: 1.5 }), reason: 'bad_field', detail: /^seq: .* got 1\.5$/ },
  { name: 'seq beyond 2^53', body: withTop({ seq: 2 ** 53 }), reason: 'bad_field', detail: /^seq: / },
  { name: 'seq a string', body: withTop({ seq: '12' }), reason: 'bad_field', detail: /^seq: .* got "12"$/ },
  { name: 'ts zero', body: withTop({ ts: 0 }), reason: 'bad_field', detail: /^ts: expected an integer 1\.\./ },
  { name: 'ts an ISO string', body: withTop({ ts: '2025-11-26T10:00:00Z' }), reason: 'bad_field', detail: /^ts: / },
  { name: 'ts null', body: withTop({ ts: null }), reason: 'bad_field', detail: /^ts: .* got null$/ },
  {
    name: 'no GPU entries',
    body: withTop({ gpus: [] }),
    reason: 'bad_field',
    detail: /^gpus: expected an array of 1\.\.8 GPU entries, got an array of 0$/,
  },
  {
    name: 'nine GPU entries',
    body: withTop({ gpus: Array.from({ length: 9 }, (_, i) => exampleGpu(i % 8)) }),
    reason: 'bad_field',
    detail: /got an array of 9$/,
  },
  {
    name: 'gpus an object',
    body: withTop({ gpus: exampleGpu(0) }),
    reason: 'bad_field',
    detail: /^gpus: .* got an object$/,
  },
  {
    name: 'GPU entry a number',
    body: withTop({ gpus: [exampleGpu(0), 1] }),
    reason: 'bad_field',
    detail: /^gpus\[1\]: expected a GPU entry object, got 1$/,
  },
  {
    name: 'gpu index 8',
    body: withGpu(1, { gpu: 8 }),
    reason: 'bad_field',
    detail: /^gpus\[1\]\.gpu: expected an integer 0\.\.7, got 8$/,
  },
  { name: 'gpu index -1', body: withGpu(1, { gpu: -1 }), reason: 'bad_field', detail: /^gpus\[1\]\.gpu: / },
  {
    name: 'gpu index "0"',
    body: withGpu(1, { gpu: '0' }),
    reason: 'bad_field',
    detail: /^gpus\[1\]\.gpu: .* got "0"$/,
  },
  {
    name: 'lower-case uuid prefix',
    body: withGpu(2, { uuid: 'gpu-3f2a9c1e' }),
    reason: 'bad_field',
    detail:
      /^gpus\[2\]\.uuid: expected "GPU-…" or "MIG-…" \(letters, digits, '-', '\/'\), 8\.\.80 chars, got "gpu-3f2a9c1e"$/,
  },
  { name: 'uuid of 7 chars', body: withGpu(2, { uuid: 'GPU-123' }), reason: 'bad_field', detail: /^gpus\[2\]\.uuid: / },
  {
    name: 'uuid of 81 chars',
    body: withGpu(2, { uuid: `GPU-${long(77)}` }),
    reason: 'bad_field',
    detail: /^gpus\[2\]\.uuid: .*…$/,
  },
  {
    name: 'uuid with a space',
    body: withGpu(2, { uuid: 'GPU-3f2a 9c1e' }),
    reason: 'bad_field',
    detail: /^gpus\[2\]\.uuid: /,
  },
  {
    name: 'uuid a number',
    body: withGpu(2, { uuid: 12345678 }),
    reason: 'bad_field',
    detail: /^gpus\[2\]\.uuid: .* got 12345678$/,
  },
  {
    name: 'empty job',
    body: withGpu(1, { job: '' }),
    reason: 'bad_field',
    detail: /^gpus\[1\]\.job: expected a string of 1\.\.128 chars, got ""$/,
  },
  { name: 'job of 129 chars', body: withGpu(1, { job: long(129) }), reason: 'bad_field', detail: /^gpus\[1\]\.job: / },
  { name: 'job null', body: withGpu(1, { job: null }), reason: 'bad_field', detail: /^gpus\[1\]\.job: .* got null$/ },
  { name: 'job a number', body: withGpu(1, { job: 17 }), reason: 'bad_field', detail: /^gpus\[1\]\.job: .* got 17$/ },
  {
    name: 'cluster differs from the subject',
    body: withTop({ cluster: 'weu1-ai2' }),
    reason: 'subject_mismatch',
    detail: /^cluster: body has "weu1-ai2" but subject "kiln\.v1\.gpu\.eus2-ai1\.r0042\.r0042-t07" has "eus2-ai1"$/,
  },
  {
    name: 'rack differs from the subject',
    body: withTop({ rack: 'r0043' }),
    reason: 'subject_mismatch',
    detail: /^rack: body has "r0043"/,
  },
  {
    name: 'host differs from the subject',
    body: withTop({ host: 'r0042-t08' }),
    reason: 'subject_mismatch',
    detail: /^host: body has "r0042-t08"/,
  },
  {
    name: 'host a prefix of the subject host',
    body: withTop({ host: 'r0042-t0' }),
    reason: 'subject_mismatch',
    detail: /^host: /,
  },
  {
    name: 'subject with an extra token',
    body: base(),
    subject: `${SUBJECT}.x`,
    reason: 'subject_mismatch',
    detail: /is not kiln\.v1\.gpu\.<cluster>\.<rack>\.<host>$/,
  },
  {
    name: 'dead-letter subject',
    body: base(),
    subject: 'kiln.v1.dlq.bad_field',
    reason: 'subject_mismatch',
    detail: /is not kiln\.v1\.gpu/,
  },
  {
    name: 'v2 subject',
    body: base(),
    subject: 'kiln.v2.gpu.eus2-ai1.r0042.r0042-t07',
    reason: 'subject_mismatch',
    detail: /is not kiln\.v1\.gpu/,
  },
  {
    name: 'ts just beyond the allowed skew',
    body: withTop({ ts: NOW + DEFAULT_DECODE_LIMITS.futureSkewMs + 1 }),
    reason: 'future_ts',
    detail: /^ts: 1764151500001 is 300001 ms ahead of now \(1764151200000\), the allowed skew is 300000 ms$/,
  },
  {
    name: 'ts just older than the retention',
    body: withTop({ ts: NOW - DEFAULT_DECODE_LIMITS.maxAgeMs - 1 }),
    reason: 'expired_ts',
    detail: /^ts: \d+ is 1209600001 ms old, older than the raw retention of 1209600000 ms$/,
  },
  {
    name: 'gpu index repeated',
    body: withGpu(2, { gpu: 0 }),
    reason: 'duplicate_gpu',
    detail: /^gpus\[2\]\.gpu: index 0 already appears in gpus\[0\]$/,
  },
];

describe('decodeMessage rejects a message whole', () => {
  it('has a case for every reject reason', () => {
    expect(new Set(cases.map((c) => c.reason))).toEqual(new Set(REJECT_REASONS));
  });

  it.each(cases)('$name → $reason', ({ body, subject, reason, detail }) => {
    const decoder = new Decoder();
    expect(decoder.decode(exampleMessage(4))).toEqual({ ok: true, rows: 4 });
    const before = decoder.batch.uuid.slice(0, 4);

    const result = decoder.decode(body, subject);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.detail).toMatch(detail);
    // Nothing of the rejected message is appended or counted beyond its reason.
    expect(decoder.batch.length).toBe(4);
    expect(decoder.batch.uuid.slice(0, 4)).toEqual(before);
    expect(decoder.stats.accepted).toBe(1);
    expect(decoder.stats.rows).toBe(4);
    expect([...decoder.stats.rejected]).toEqual(REJECT_REASONS.map((r) => (r === reason ? 1 : 0)));
    expect(decoder.stats.rejected[REJECT_REASON_ID[reason]]).toBe(1);
    expect(decoder.stats.fieldFaults.every((n) => n === 0)).toBe(true);
    expect(decoder.stats.unknownFields.size).toBe(0);
  });

  it('the base of the rejected cases is itself accepted', () => {
    const decoder = new Decoder();
    expect(decoder.decode(base())).toEqual({ ok: true, rows: 3 });
  });
});

describe('decodeMessage on partitioned subjects', () => {
  const partitions = 16;
  const rack = exampleMessage(1).rack;
  const mine = partitionOf(rack, partitions);

  it("accepts the subject the servers' mapping gives the rack (both decode paths)", () => {
    const decoder = new Decoder({ ...DEFAULT_DECODE_LIMITS, partitions });
    expect(decoder.decode(exampleMessage(2), `${SUBJECT}.${mine}`)).toEqual({ ok: true, rows: 2 });
    // A field the scanner declines sends the message down the JSON.parse path, which must agree.
    expect(decoder.decode({ ...exampleMessage(2), extra: 1 }, `${SUBJECT}.${mine}`)).toEqual({ ok: true, rows: 2 });
  });

  it('rejects a partition token that is not the rack’s, and the bare subject, saying which partition the rack is in', () => {
    const decoder = new Decoder({ ...DEFAULT_DECODE_LIMITS, partitions });
    const other = (mine + 1) % partitions;
    expect(decoder.decode(exampleMessage(2), `${SUBJECT}.${other}`)).toEqual({
      ok: false,
      reason: 'subject_mismatch',
      detail: `subject "${SUBJECT}.${other}" names partition ${other}, but rack "${rack}" is in partition ${mine} of ${partitions}`,
    });
    expect(decoder.decode(exampleMessage(2), SUBJECT)).toMatchObject({
      ok: false,
      reason: 'subject_mismatch',
      detail: /has no partition token/,
    });
  });
});

describe('decodeMessage limits are inclusive', () => {
  it('accepts a body of exactly 64 KiB', () => {
    const body = padded(MAX_BODY_BYTES);
    expect(utf8(body).byteLength).toBe(MAX_BODY_BYTES);
    expect(new Decoder().decode(body)).toEqual({ ok: true, rows: 3 });
  });

  it('accepts ts at exactly the skew and exactly the retention', () => {
    const decoder = new Decoder();
    const at = (ts: number): WireMessage => ({ ...exampleMessage(1), ts });
    expect(decoder.decode(at(NOW + DEFAULT_DECODE_LIMITS.futureSkewMs))).toEqual({ ok: true, rows: 1 });
    expect(decoder.decode(at(NOW - DEFAULT_DECODE_LIMITS.maxAgeMs))).toEqual({ ok: true, rows: 1 });
  });

  it('applies the limits it is given', () => {
    const decoder = new Decoder({ futureSkewMs: 1000, maxAgeMs: 60_000 });
    const at = (ts: number): WireMessage => ({ ...exampleMessage(1), ts });
    expect(decoder.decode(at(NOW + 1001))).toMatchObject({ ok: false, reason: 'future_ts' });
    expect(decoder.decode(at(NOW - 60_001))).toMatchObject({ ok: false, reason: 'expired_ts' });
    expect(decoder.decode(at(NOW + 1000))).toEqual({ ok: true, rows: 1 });
  });

  it('accepts the largest seq and a seq of 0', () => {
    const decoder = new Decoder();
    expect(decoder.decode({ ...exampleMessage(1), seq: Number.MAX_SAFE_INTEGER })).toEqual({ ok: true, rows: 1 });
    expect(decoder.decode({ ...exampleMessage(1), seq: 0 })).toEqual({ ok: true, rows: 1 });
  });
});
