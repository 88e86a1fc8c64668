import { gpuSubject, type RejectReason } from '@kiln/wire';

export interface RawMessage {
  subject: string;
  body: Uint8Array;
  msgID: string;
  /** The reject reason the aggregator must give, or undefined for a message that must be stored. */
  expect?: RejectReason;
}

const enc = new TextEncoder();

/**
 * One bad message for every whole-message reject reason docs/wire.md lists, plus an accepted message whose fields are partly
 * bad (a DCGM blank sentinel, an out-of-range value, an unknown field): it must be stored with those metrics absent.
 * Hosts are outside the simulated fleet so they never collide with its sample identities.
 */
export function malformedMessages(cluster: string, rack: string, nowMs: number): RawMessage[] {
  const host = `${rack}-bad`;
  const subject = gpuSubject(cluster, rack, host);
  const gpu = { gpu: 0, uuid: 'GPU-bad00000-0000-0000-0000-000000000000', temp_c: 60 };
  const base = { v: 1, cluster, rack, host, seq: 1, ts: nowMs - 60_000, gpus: [gpu] };
  const json = (o: unknown): Uint8Array => enc.encode(JSON.stringify(o));
  const cases: { expect?: RejectReason; body: Uint8Array; subject?: string }[] = [
    { expect: 'invalid_json', body: enc.encode('{"v":1,"cluster":') },
    { expect: 'invalid_json', body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) },
    { expect: 'wrong_version', body: json({ ...base, v: 2 }) },
    { expect: 'missing_field', body: json({ ...base, ts: undefined }) },
    { expect: 'bad_field', body: json({ ...base, seq: 'seven' }) },
    { expect: 'bad_field', body: json({ ...base, gpus: [{ ...gpu, uuid: 'not-a-uuid' }] }) },
    { expect: 'subject_mismatch', body: json({ ...base, host: `${rack}-other` }) },
    { expect: 'future_ts', body: json({ ...base, ts: nowMs + 3_600_000 }) },
    { expect: 'expired_ts', body: json({ ...base, ts: nowMs - 400 * 86_400_000 }) },
    { expect: 'oversize', body: json({ ...base, padding: 'x'.repeat(66_000) }) },
    {
      expect: 'duplicate_gpu',
      body: json({ ...base, gpus: [gpu, { ...gpu, uuid: 'GPU-bad00000-0000-0000-0000-000000000001' }] }),
    },
    {
      // Accepted: one sentinel, one out-of-range value and an unknown field; the other metrics are stored.
      body: json({
        ...base,
        seq: 2,
        ts: nowMs - 59_000,
        gpus: [{ ...gpu, power_w: 9223372036854775794, util_pct: 250, mem_temp_c: 66, firmware: 'x' }],
      }),
    },
  ];
  return cases.map((c, i) => ({
    subject: c.subject ?? subject,
    body: c.body,
    msgID: `${host}:bad-${i}`,
    ...(c.expect ? { expect: c.expect } : {}),
  }));
}
