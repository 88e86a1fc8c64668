/**
 * UTF-8 bytes of the JSON string literals of label values. A batch repeats the same few cluster, rack, host and job
 * strings on every row, so quoting and encoding each distinct string once is cheaper than per row.
 */
export class JsonStringCache {
  readonly #encoded = new Map<string, Buffer>();

  constructor(private readonly maxEntries = 100_000) {}

  encoded(value: string): Buffer {
    let bytes = this.#encoded.get(value);
    if (bytes === undefined) {
      // Bounded: label sets churn slowly, so starting over when full costs a few misses, never unbounded memory.
      if (this.#encoded.size >= this.maxEntries) this.#encoded.clear();
      bytes = Buffer.from(JSON.stringify(value), 'utf8');
      this.#encoded.set(value, bytes);
    }
    return bytes;
  }
}
