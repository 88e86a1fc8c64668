/**
 * The bytes label values take in an insert body, each distinct string encoded once: a batch repeats the same few
 * cluster, rack, host and job strings (and each GPU's uuid) on every row, so encoding per string beats encoding per
 * row.
 */
export class EncodedStrings {
  readonly #encoded = new Map<string, Buffer>();

  constructor(
    private readonly encode: (value: string) => Buffer,
    private readonly maxEntries = 100_000,
  ) {}

  encoded(value: string): Buffer {
    let bytes = this.#encoded.get(value);
    if (bytes === undefined) {
      // Bounded: label sets churn slowly, so starting over when full costs a few misses, never unbounded memory.
      if (this.#encoded.size >= this.maxEntries) this.#encoded.clear();
      bytes = this.encode(value);
      this.#encoded.set(value, bytes);
    }
    return bytes;
  }
}
