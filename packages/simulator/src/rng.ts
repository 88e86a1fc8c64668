/**
 * Seeded pseudo-random numbers: sfc32 (Chris Doty-Humphrey's small fast counting generator), 32-bit integer
 * arithmetic only, 128-bit state, period at least 2^32 per stream and far longer in practice. The simulator draws a
 * fixed number of values per GPU per tick from one stream, so a run is a pure function of its seed and options.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any safe integer; @param stream separates independent sequences drawn from one seed */
  constructor(seed: number, stream: number) {
    const low = seed >>> 0;
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
    this.a = mix32(low ^ 0x9e3779b9);
    this.b = mix32(high ^ 0x85ebca6b);
    this.c = mix32(stream ^ 0xc2b2ae35);
    this.d = 1;
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Symmetric noise in (-1, 1) with a triangular density (the sum of two uniforms): bounded, so a noisy value
   *  never leaves its physical range, yet concentrated around 0 like measurement noise. */
  noise(): number {
    return this.next() + this.next() - 1;
  }

  /** Exponentially distributed with the given mean: waiting times of memoryless events (job restarts). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

/** murmur3's 32-bit finalizer: a bijective avalanche mix, for seeding and hashing. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
