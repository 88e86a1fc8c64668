import { describe, expect, it } from 'vitest';
import { fingerprint } from '../src/index.js';

const hex = (n: bigint) => n.toString(16).padStart(16, '0');

describe('fingerprint', () => {
  // Expected values from prometheus/common model/signature_test.go (labelSetToFingerprint).
  it('matches prometheus/common for the empty set and its test vectors', () => {
    expect(fingerprint({})).toBe(hex(14695981039346656037n));
    expect(fingerprint({ name: 'garland, briggs', fear: 'love is not enough' })).toBe(hex(5799056148416392346n));
    expect(fingerprint({ 'first-label': 'first-label-value' })).toBe(hex(5146282821936882169n));
    expect(
      fingerprint({
        'first-label': 'first-label-value',
        'second-label': 'second-label-value',
        'third-label': 'third-label-value',
      }),
    ).toBe(hex(13843036195897128121n));
  });

  it('ignores insertion order and separates names from values', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ ab: 'c' })).not.toBe(fingerprint({ a: 'bc' }));
    expect(fingerprint({ a: 'b', c: '' })).not.toBe(fingerprint({ a: 'b' }));
  });

  it('hashes UTF-8 bytes, as Go does', () => {
    // FNV-1a 64 reference computed with BigInt over the UTF-8 encoding.
    const reference = (labels: Record<string, string>) => {
      let h = 0xcbf29ce484222325n;
      const add = (b: number) => {
        h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
      };
      for (const name of Object.keys(labels).sort()) {
        for (const b of Buffer.from(name)) add(b);
        add(0xff);
        for (const b of Buffer.from(labels[name]!)) add(b);
        add(0xff);
      }
      return hex(h);
    };
    const labels = { summary: 'GPU ist heiß: 91 °C 🔥', rack: 'r0042', 日本: '東京' };
    expect(fingerprint(labels)).toBe(reference(labels));
  });
});
