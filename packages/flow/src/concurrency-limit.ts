/**
 * At most `max` holders at once; the rest wait their turn in arrival order. A task run through it (run) or a slot
 * held around an operation that settles later (acquire … release: a window of unacknowledged publishes) both count.
 */
export class ConcurrencyLimit {
  private open = 0;
  // FIFO of waiters; `head` instead of shift(), which is O(n) and made a storm of thousands quadratic.
  private waiters: ((() => void) | undefined)[] = [];
  private head = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  }

  /** Slots held now. */
  get active(): number {
    return this.open;
  }

  /** Slots held or waited for. */
  get pending(): number {
    return this.open + this.waiters.length - this.head;
  }

  get full(): boolean {
    return this.open >= this.max;
  }

  /** Waits for a slot and takes it; release() gives it back. */
  async acquire(): Promise<void> {
    if (this.open < this.max) this.open++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Takes a slot if one is free now, without waiting. */
  tryAcquire(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  /** Gives a slot back: straight to the next waiter, so a newcomer cannot slip in between. */
  release(): void {
    if (this.head === this.waiters.length) {
      if (this.open === 0) throw new Error('release() without a held slot');
      if (--this.open === 0) this.wakeIdle();
      return;
    }
    const next = this.waiters[this.head] as () => void;
    this.waiters[this.head++] = undefined;
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
    next();
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Resolves once no slot is held (at once when none is). */
  idle(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
