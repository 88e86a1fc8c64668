import { describe, expect, it } from 'vitest';
import { GroupIndex } from '../src/group-index.js';
import { madInPlace, medianInPlace, robustZ } from '../src/robust-stats.js';

/** A deterministic pseudo-random sequence, with many repeated values to stress quickselect's partitioning. */
function values(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % 37;
  });
}

const naiveMedian = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('robust statistics', () => {
  it('finds the (upper) median and the MAD as sorting would, for any size', () => {
    for (let n = 1; n <= 80; n++) {
      const xs = values(n, n);
      const scratch = Float64Array.from(xs);
      const median = medianInPlace(scratch, n);
      expect(median).toBe(naiveMedian(xs));
      scratch.set(xs);
      expect(madInPlace(scratch, n, median)).toBe(naiveMedian(xs.map((x) => Math.abs(x - median))));
    }
    expect(medianInPlace(new Float64Array(4), 0)).toBeNaN();
  });

  it('scores with the modified z-score, infinitely far from a group with no spread', () => {
    expect(robustZ(90, 100, 6.745)).toBeCloseTo(-1, 12);
    expect(robustZ(99, 100, 0)).toBe(-Infinity);
    expect(robustZ(100, 100, 0)).toBe(0);
  });

  it('buckets GPUs by group in compressed rows', () => {
    const groupOf = Int32Array.from([2, 0, 2, 1, 0, 2]);
    const index = new GroupIndex();
    index.build(Int32Array.from([5, 0, 1, 3, 4]), 5, groupOf, 4);
    const members = (g: number) => Array.from(index.members.subarray(index.start[g]!, index.start[g + 1]!));
    expect([members(0), members(1), members(2), members(3)]).toEqual([[1, 4], [3], [5, 0], []]);
  });
});
