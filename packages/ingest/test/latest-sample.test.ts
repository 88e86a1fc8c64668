import { describe, expect, it } from 'vitest';
import { LatestSample, SampleNovelty } from '../src/index.js';

const T0 = Date.UTC(2026, 0, 15);

describe('LatestSample', () => {
  it('vouches for a sample only once its GPU is seeded and the sample is newer than all it knows', () => {
    const latest = new LatestSample();
    expect(latest.advance(5, 1000)).toBe(SampleNovelty.UNVERIFIED); // never seen: storage may hold it already
    expect(latest.advance(5, 1000)).toBe(SampleNovelty.NOT_NEWER); // the same sample again
    expect(latest.unseeded(5)).toBe(true);
    expect(latest.advance(5, 2000)).toBe(SampleNovelty.UNVERIFIED); // in order, still waiting for the seed
    latest.seed(5, 2_500); // storage already holds newer samples
    expect(latest.unseeded(5)).toBe(false);
    expect(latest.advance(5, 2_400)).toBe(SampleNovelty.NOT_NEWER);
    expect(latest.advance(5, 3000)).toBe(SampleNovelty.NEW);
    expect(latest.advance(5000, 1)).toBe(SampleNovelty.UNVERIFIED); // grows
  });

  it('forgets a GPU: the next holder of the id is unseen and unseeded, so storage is asked about it', () => {
    const latest = new LatestSample();
    latest.seed(7, T0 + 50_000);
    expect(latest.advance(7, T0 + 60_000)).toBe(SampleNovelty.NEW);
    latest.forgetGpu(7);
    expect(latest.unseeded(7)).toBe(true);
    expect(latest.storedNewest(7)).toBe(-Infinity);
    expect(latest.advance(7, T0 + 1_000)).toBe(SampleNovelty.UNVERIFIED);
  });
});
