/**
 * Robust statistics for peer groups: the median, the median absolute deviation, and the
 * modified z-score of Iglewicz and Hoaglin, M = 0.6745·(x − median)/MAD. Quickselect in caller-owned scratch arrays:
 * O(n) per group, no allocation.
 */

/** The median of values[0..n), reordering them in place (upper median for even n). NaN when n = 0. */
export function medianInPlace(values: Float64Array, n: number): number {
  if (n === 0) return NaN;
  return select(values, n, n >> 1);
}

/** The median absolute deviation of values[0..n) from `median`, overwriting them with the deviations. */
export function madInPlace(values: Float64Array, n: number, median: number): number {
  for (let i = 0; i < n; i++) values[i] = Math.abs(values[i]! - median);
  return medianInPlace(values, n);
}

/** Modified z-score; a zero MAD (most of the group identical) makes any difference infinitely far. */
export function robustZ(x: number, median: number, mad: number): number {
  if (mad > 0) return (0.6745 * (x - median)) / mad;
  return x === median ? 0 : x < median ? -Infinity : Infinity;
}

/** Hoare's quickselect: the k-th smallest of a[0..n), partially ordering a. */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
