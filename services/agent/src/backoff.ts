/** Exponential back-off between retries: first, 2×first, … capped at max; reset() after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {}

  /** The delay before the next retry. */
  next(): number {
    const ms = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ms;
  }

  reset(): void {
    this.attempt = 0;
  }
}
