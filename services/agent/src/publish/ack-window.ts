/** Counts operations in flight and lets a producer wait for a free slot (limit) or for none (idle). */
export class AckWindow {
  private pending = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get inflight(): number {
    return this.pending;
  }

  get full(): boolean {
    return this.pending >= this.limit;
  }

  /** Waits for a free slot and takes it. */
  async acquire(): Promise<void> {
    while (this.pending >= this.limit) await this.change();
    this.pending++;
  }

  /** Takes a slot without waiting (the caller checked `full`). */
  take(): void {
    this.pending++;
  }

  release(): void {
    this.pending--;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until nothing is in flight. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.change();
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
