import { describe, expect, it } from 'vitest';
import {
  DecodeStats,
  DEFAULT_DECODE_LIMITS,
  decodeMessage,
  encodeMessage,
  METRIC_COUNT,
  SampleBatch,
} from '../src/index.js';
import { exampleMessage, NOW, SUBJECT, utf8 } from './fixtures.js';

describe('SampleBatch.appendMessage', () => {
  it('writes the same rows as decoding the encoded message', () => {
    const message = exampleMessage(4);
    delete message.gpus[1]!.power_w; // an absent metric
    const decoded = new SampleBatch(16);
    const result = decodeMessage(
      SUBJECT,
      utf8(encodeMessage(message)),
      NOW,
      DEFAULT_DECODE_LIMITS,
      decoded,
      new DecodeStats(),
      0,
    );
    expect(result.ok).toBe(true);
    const appended = new SampleBatch(16);
    appended.length = 3; // appends after existing rows
    expect(appended.appendMessage(message)).toBe(3);
    expect(appended.length).toBe(7);
    for (let r = 0; r < 4; r++) {
      const a = r + 3;
      expect(Array.from(appended.values.subarray(a * METRIC_COUNT, (a + 1) * METRIC_COUNT))).toEqual(
        Array.from(decoded.values.subarray(r * METRIC_COUNT, (r + 1) * METRIC_COUNT)),
      );
      for (const col of ['ts', 'gpu', 'cluster', 'rack', 'host', 'uuid', 'job'] as const)
        expect(appended[col][a]).toBe(decoded[col][r]);
    }
  });
});
