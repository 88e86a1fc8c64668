import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_OPTIONS, formatRfc3339, parseRetryAfter, resolveRetryOptions } from '../src/index.js';

describe('resolveRetryOptions', () => {
  it('validates overrides', () => {
    expect(resolveRetryOptions({ initialDelayMs: 5 })).toEqual({ ...DEFAULT_RETRY_OPTIONS, initialDelayMs: 5 });
    expect(() => resolveRetryOptions({ maxElapsedMs: -1 })).toThrow(/maxElapsedMs/);
    expect(() => resolveRetryOptions({ multiplier: 0.5 })).toThrow(/multiplier/);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('formatRfc3339', () => {
  it('writes times as Go marshals them', () => {
    expect(formatRfc3339(Date.UTC(2026, 10, 26, 12, 0, 0))).toBe('2026-11-26T12:00:00Z');
    expect(formatRfc3339(Date.UTC(2026, 10, 26, 12, 0, 0, 120))).toBe('2026-11-26T12:00:00.12Z');
    expect(formatRfc3339(Date.UTC(2026, 10, 26, 12, 0, 0, 7))).toBe('2026-11-26T12:00:00.007Z');
  });
});
