/**
 * At most `max` tasks run at once; the rest wait their turn in arrival order. Per receiver, an alert storm then
 * reuses a few keep-alive connections instead of opening one per notification, which is several times faster on
 * loopback and spares the endpoint.
 */
export class ConcurrencyLimit {
  private open = 0;
  // FIFO of waiters; `head` instead of shift(), which is O(n) and made a storm of thousands quadratic.
  private waiting: ((() => void) | undefined)[] = [];
  private head = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.open < this.max) this.open++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** A finished task hands its slot straight to the next waiter, so a newcomer cannot slip in between. */
  private release(): void {
    if (this.head === this.waiting.length) {
      this.open--;
      return;
    }
    const next = this.waiting[this.head] as () => void;
    this.waiting[this.head++] = undefined;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  }
}
