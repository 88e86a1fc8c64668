import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  MAX_GPUS_PER_MESSAGE,
  MAX_JOB_LENGTH,
  METRICS,
  UUID_MAX_LENGTH,
  UUID_MIN_LENGTH,
  WIRE_MESSAGE_SCHEMA,
  encodeMessage,
  type WireGpu,
  type WireMessage,
} from '../src/index.js';
import { Decoder, NOW, exampleGpu, exampleMessage, messageFromRows, seededRandom } from './fixtures.js';
import { gpuSubject } from '../src/subjects.js';

const ALPHANUMERIC = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const TOKEN_CHARS = [...ALPHANUMERIC, '_', '-'];
const UUID_CHARS = [...ALPHANUMERIC, '-', '/'];
// Characters a job id could carry, including ones JSON must escape and ones UTF-8 encodes in 2..4 bytes.
const JOB_CHARS = ['a', 'Z', '7', '-', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u007f', 'é', '漢', '🔥', '\u2028'];

/** Random valid wire messages: every field within the contract, every metric within its physical range. */
function randomMessages(seed: number) {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const text = (chars: readonly string[], length: number) => Array.from({ length }, () => pick(chars)).join('');
  const metric = (m: (typeof METRICS)[number]): number => {
    const edge = random();
    if (edge < 0.05) return m.min;
    if (edge < 0.1) return m.max;
    const x = m.min + random() * (m.max - m.min);
    return m.integer ? Math.floor(x) : x;
  };
  return (): WireMessage => {
    const gpuIndexes = Array.from({ length: MAX_GPUS_PER_MESSAGE }, (_, i) => i).sort(() => random() - 0.5);
    const gpus = gpuIndexes.slice(0, int(1, MAX_GPUS_PER_MESSAGE)).map((gpu): WireGpu => {
      const entry: WireGpu = {
        gpu,
        uuid: `${pick(['GPU-', 'MIG-'])}${text(UUID_CHARS, int(UUID_MIN_LENGTH - 4, UUID_MAX_LENGTH - 4))}`,
      };
      if (random() < 0.7) {
        let job = text(JOB_CHARS, int(1, MAX_JOB_LENGTH));
        while (job.length > MAX_JOB_LENGTH) job = job.slice(0, -1);
        entry.job = job;
      }
      for (const m of METRICS) if (random() < 0.7) entry[m.name] = metric(m);
      return entry;
    });
    return {
      v: 1,
      cluster: text(TOKEN_CHARS, int(1, 64)),
      rack: text(TOKEN_CHARS, int(1, 64)),
      host: text(TOKEN_CHARS, int(1, 64)),
      seq: int(0, Number.MAX_SAFE_INTEGER),
      ts: int(NOW - DEFAULT_DECODE_LIMITS.maxAgeMs, NOW + DEFAULT_DECODE_LIMITS.futureSkewMs),
      gpus,
    };
  };
}

function roundTrip(decoder: Decoder, msg: WireMessage): WireMessage {
  const start = decoder.batch.length;
  const result = decoder.decode(encodeMessage(msg), gpuSubject(msg.cluster, msg.rack, msg.host));
  expect(result).toEqual({ ok: true, rows: msg.gpus.length });
  const decoded = messageFromRows(decoder.batch, start, decoder.batch.length, msg.seq);
  decoder.batch.clear();
  return decoded;
}

describe('encodeMessage', () => {
  it('writes the contract fields as JSON', () => {
    const msg = exampleMessage(2);
    expect(JSON.parse(encodeMessage(msg))).toEqual(msg);
  });

  it('round-trips through decodeMessage exactly', () => {
    const decoder = new Decoder();
    expect(roundTrip(decoder, exampleMessage(4))).toEqual(exampleMessage(4));
    expect(decoder.stats.fieldFaults.every((n) => n === 0)).toBe(true);
  });

  it('leaves out properties outside the contract', () => {
    const msg = { ...exampleMessage(1), debug: true, gpus: [{ ...exampleGpu(0), fan_pct: 3 }] };
    expect(JSON.parse(encodeMessage(msg))).toEqual(exampleMessage(1));
  });

  it('refuses a NaN metric, naming it', () => {
    const msg: WireMessage = { ...exampleMessage(2), gpus: [exampleGpu(0), { ...exampleGpu(1), power_w: NaN }] };
    expect(() => encodeMessage(msg)).toThrow(/gpus\[1\]\.power_w is NaN/);
  });

  it('refuses a message without a required field', () => {
    const { host: _, ...headless } = exampleMessage(1);
    expect(() => encodeMessage(headless as WireMessage)).toThrow(/"host" is required/);
  });

  it('round-trips 2,000 random valid messages exactly', () => {
    const next = randomMessages(0x6b696c6e);
    const decoder = new Decoder();
    for (let i = 0; i < 2000; i++) {
      const msg = next();
      expect(roundTrip(decoder, msg)).toEqual(msg);
    }
    expect(decoder.stats.accepted).toBe(2000);
    expect(decoder.stats.fieldFaults.every((n) => n === 0)).toBe(true);
    expect(decoder.stats.unknownFields.size).toBe(0);
  });
});

describe('WIRE_MESSAGE_SCHEMA', () => {
  const validate = new Ajv2020({ allErrors: true }).compile(WIRE_MESSAGE_SCHEMA);

  it('holds for the example and random valid messages', () => {
    expect(validate(exampleMessage(4)), JSON.stringify(validate.errors)).toBe(true);
    const next = randomMessages(7);
    for (let i = 0; i < 200; i++) expect(validate(JSON.parse(encodeMessage(next())))).toBe(true);
  });

  it('fails where the decoder rejects', () => {
    const gpuWith = (patch: Record<string, unknown>) => ({
      ...exampleMessage(1),
      gpus: [{ ...exampleGpu(0), ...patch }],
    });
    for (const bad of [
      { ...exampleMessage(1), v: 2 },
      { ...exampleMessage(1), cluster: 'a.b' },
      { ...exampleMessage(1), seq: -1 },
      { ...exampleMessage(1), ts: 0 },
      { ...exampleMessage(1), gpus: [] },
      gpuWith({ gpu: 8 }),
      gpuWith({ uuid: 'gpu-3f2a9c1e' }),
      gpuWith({ job: '' }),
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
