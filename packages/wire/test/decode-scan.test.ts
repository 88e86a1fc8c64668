// The fast scanner and the general JSON.parse path must agree on every message the scanner accepts: same rows, same
// values bit for bit, same field faults. These tests feed both paths the same bodies, valid and mutated.
import { describe, expect, it } from 'vitest';
import { decodeWithJsonParse } from '../src/decode-json.js';
import { pending } from '../src/decode-pending.js';
import { SCAN_DECLINED, scanMessage } from '../src/decode-scan.js';
import {
  DEFAULT_DECODE_LIMITS,
  METRIC_COUNT,
  METRIC_ID,
  METRICS,
  SampleBatch,
  encodeMessage,
  gpuSubject,
  type WireMessage,
} from '../src/index.js';
import { NOW, SUBJECT, exampleGpu, exampleMessage, seededRandom, utf8 } from './fixtures.js';

interface PathResult {
  rows: number | 'declined' | 'rejected';
  batch: SampleBatch;
  faults: number[];
  unknownFields: string[];
}

function viaScanner(body: Uint8Array, subject = SUBJECT): PathResult {
  const batch = new SampleBatch(16);
  batch.length = 3; // decode after existing rows, as in a partly filled batch
  pending.clear();
  const rows = scanMessage(subject, body, NOW, DEFAULT_DECODE_LIMITS, batch, 7);
  return { rows: rows === SCAN_DECLINED ? 'declined' : rows, batch, ...pendingSnapshot() };
}

function viaJsonParse(body: Uint8Array, subject = SUBJECT): PathResult {
  const batch = new SampleBatch(16);
  batch.length = 3;
  pending.clear();
  const rows = decodeWithJsonParse(subject, body, NOW, DEFAULT_DECODE_LIMITS, batch, 7);
  return { rows: typeof rows === 'number' ? rows : 'rejected', batch, ...pendingSnapshot() };
}

function pendingSnapshot() {
  return { faults: [...pending.faults.subarray(0, pending.faultCount)], unknownFields: [...pending.unknownFields] };
}

/** The rows a path wrote, every column, values as bit patterns so that NaN and -0 compare exactly. */
function writtenRows({ batch, rows }: PathResult) {
  const count = typeof rows === 'number' ? rows : 0;
  return Array.from({ length: count }, (_, i) => {
    const row = 3 + i;
    return {
      ts: batch.ts[row],
      gpu: batch.gpu[row],
      message: batch.message[row],
      cluster: batch.cluster[row],
      rack: batch.rack[row],
      host: batch.host[row],
      uuid: batch.uuid[row],
      job: batch.job[row],
      values: [...new BigUint64Array(batch.values.slice(row * METRIC_COUNT, (row + 1) * METRIC_COUNT).buffer)],
    };
  });
}

/** Asserts the two paths agree on `body`; returns whether the scanner took it. */
function expectAgreement(body: Uint8Array, subject = SUBJECT): boolean {
  const scanned = viaScanner(body, subject);
  if (scanned.rows === 'declined') return false;
  const parsed = viaJsonParse(body, subject);
  const text = new TextDecoder().decode(body);
  expect(parsed.rows, text).toBe(scanned.rows);
  expect(writtenRows(scanned), text).toEqual(writtenRows(parsed));
  expect(scanned.faults, text).toEqual(parsed.faults);
  expect(parsed.unknownFields, text).toEqual([]);
  return true;
}

const body = (msg: unknown) => utf8(typeof msg === 'string' ? msg : JSON.stringify(msg));

describe('scanner', () => {
  it('takes the encoder output, compact or pretty-printed, with any field order', () => {
    const msg = exampleMessage(4);
    expect(expectAgreement(utf8(encodeMessage(msg)))).toBe(true);
    expect(expectAgreement(body(JSON.stringify(msg, null, 2).replaceAll('\n', '\r\n\t')))).toBe(true);
    const reordered = {
      gpus: msg.gpus.map((g) => Object.fromEntries(Object.entries(g).reverse())),
      ts: msg.ts,
      host: msg.host,
      rack: msg.rack,
      cluster: msg.cluster,
      seq: msg.seq,
      v: 1,
    };
    expect(expectAgreement(body(reordered))).toBe(true);
  });

  it('takes a GPU entry with every catalog metric: more fields than a 32-bit set holds', () => {
    const everyMetric = Object.fromEntries(
      METRICS.map((m) => [m.name, m.min + (m.max - m.min) / 2 > 1e6 ? 1234 : Math.round(m.min + (m.max - m.min) / 2)]),
    );
    expect(METRICS.length + 3).toBeGreaterThan(32);
    const msg = { ...exampleMessage(1), gpus: [0, 1, 2, 3].map((g) => ({ ...exampleGpu(g), ...everyMetric })) };
    expect(expectAgreement(utf8(encodeMessage(msg)))).toBe(true);
  });

  it('takes out-of-range metrics and DCGM sentinels, counting them as the general path does', () => {
    const gpu = { ...exampleGpu(0), temp_c: 9223372036854775794, util_pct: 100.01, power_w: -0.5 };
    expect(expectAgreement(body({ ...exampleMessage(1), gpus: [gpu, exampleGpu(1)] }))).toBe(true);
    expect(viaScanner(body({ ...exampleMessage(1), gpus: [gpu] })).faults.sort()).toEqual(
      [METRIC_ID.temp_c, METRIC_ID.power_w, METRIC_ID.util_pct].sort(),
    );
  });

  it.each([
    [
      'an escaped job',
      `{"v":1,"cluster":"eus2-ai1","rack":"r0042","host":"r0042-t07","seq":1,"ts":${NOW},"gpus":[{"gpu":0,"uuid":"GPU-12345678","job":"a\\"b"}]}`,
    ],
    ['a non-ASCII job', { ...exampleMessage(1), gpus: [{ ...exampleGpu(0), job: 'träning' }] }],
    ['an unknown field', { ...exampleMessage(1), agent: 'dcgm' }],
    ['a null metric', { ...exampleMessage(1), gpus: [{ ...exampleGpu(0), temp_c: null }] }],
    [
      'a repeated key',
      `{"v":1,"v":1,"cluster":"eus2-ai1","rack":"r0042","host":"r0042-t07","seq":1,"ts":${NOW},"gpus":[{"gpu":0,"uuid":"GPU-12345678"}]}`,
    ],
    ['a byte-order mark', `\ufeff${encodeMessage(exampleMessage(1))}`],
  ])('leaves %s to the general path', (_, msg) => {
    const bytes = body(msg);
    expect(viaScanner(bytes).rows).toBe('declined');
    expect(viaJsonParse(bytes).rows).toBe(1);
  });

  it('reads every JSON number exactly as JSON.parse does', () => {
    const random = seededRandom(11);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    const template = encodeMessage({
      ...exampleMessage(1),
      gpus: [{ gpu: 0, uuid: 'GPU-12345678', nvlink_bytes: 1, sm_active: 1 }],
    });
    for (let i = 0; i < 5000; i++) {
      const int = random() < 0.2 ? '0' : `${1 + Math.floor(random() * 9)}${digits(Math.floor(random() * 22))}`;
      const frac = random() < 0.5 ? `.${digits(1 + Math.floor(random() * 20))}` : '';
      const exp =
        random() < 0.3
          ? `${random() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(random() * 3)]}${Math.floor(random() * 400)}`
          : '';
      const number = `${random() < 0.1 ? '-' : ''}${int}${frac}${exp}`;
      // sm_active's range, 0..1, holds numbers with large negative exponents, written either way.
      const ratio =
        random() < 0.5
          ? `0.${'0'.repeat(Math.floor(random() * 30))}${digits(1 + Math.floor(random() * 18))}`
          : `${1 + Math.floor(random() * 9)}${digits(Math.floor(random() * 18))}e-${Math.floor(random() * 40)}`;
      const text = template
        .replace('"nvlink_bytes":1', `"nvlink_bytes":${number}`)
        .replace('"sm_active":1', `"sm_active":${ratio}`);
      expect(expectAgreement(utf8(text)), text).toBe(true);
    }
  });

  it('agrees with the general path on thousands of mutated messages', () => {
    const random = seededRandom(2024);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const noise = [...'{}[]:,"\\0123456789-+.eE \nnulltrx']
      .map((c) => c.charCodeAt(0))
      .concat([0x00, 0x80, 0xc3, 0xff]);
    const subjects = new Map<string, string>();
    let taken = 0;
    let declined = 0;
    for (let i = 0; i < 4000; i++) {
      const msg: WireMessage = exampleMessage(1 + Math.floor(random() * 4));
      const original = utf8(encodeMessage(msg));
      const bytes = [...original];
      for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
        const at = Math.floor(random() * bytes.length);
        const kind = random();
        if (kind < 0.2)
          bytes[at] = bytes[at]! >= 0x30 && bytes[at]! <= 0x39 ? 0x30 + Math.floor(random() * 10) : bytes[at]!;
        else if (kind < 0.5) bytes[at] = pick(noise);
        else if (kind < 0.7) bytes.splice(at, 1);
        else if (kind < 0.9) bytes.splice(at, 0, pick(noise));
        else bytes.length = at;
      }
      const subject = subjects.get(msg.host) ?? gpuSubject(msg.cluster, msg.rack, msg.host);
      subjects.set(msg.host, subject);
      if (expectAgreement(Uint8Array.from(bytes), subject)) taken++;
      else declined++;
    }
    // Both sides of the comparison are exercised: many mutations still decode (a changed digit), most do not.
    expect(taken).toBeGreaterThan(400);
    expect(declined).toBeGreaterThan(1000);
  });

  it('reuses interned strings without mixing them up', () => {
    const random = seededRandom(5);
    const hex = () =>
      Math.floor(random() * 16 ** 8)
        .toString(16)
        .padStart(8, '0');
    const uuids = Array.from({ length: 3000 }, () => `GPU-${hex()}-${hex()}`);
    for (let round = 0; round < 2; round++) {
      for (const uuid of uuids) {
        const scanned = viaScanner(body({ ...exampleMessage(1), gpus: [{ gpu: 0, uuid }] }));
        expect(scanned.batch.uuid[3]).toBe(uuid);
      }
    }
  });
});
