/** Typed arrays that per-GPU (and per-host) state is kept in. */
export type StateArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array | Int8Array;

/**
 * The capacity per-GPU state grows to when it must hold `needed` entries: a quarter more than now, in steps of 64.
 * Growing stays amortised O(1) per GPU, and the slack past the fleet's size stays under a quarter of the state (doubling
 * would leave up to as much again).
 */
export function grownCapacity(current: number, needed: number): number {
  const target = Math.max(needed, current + (current >> 2), 64);
  return Math.ceil(target / 64) * 64;
}

/** A copy of `a` grown to `size` entries; the new entries are `fill`. */
export function resized<T extends StateArray>(a: T, size: number, fill: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}
