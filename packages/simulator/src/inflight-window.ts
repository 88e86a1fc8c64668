/**
 * A bounded window of outstanding operations: acquire() waits while `limit` are pending. nats.js has no
 * PublishAsync with max-pending, so a publisher keeps its own window of PubAck promises.
 * The first failure is kept and reported by acquire() and drain(); later ones are the same outage.
 */
export class InflightWindow {
  private pending = 0;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly limit: number) {}

  /** Waits for a free slot; throws the first failure of a tracked operation. */
  async acquire(): Promise<void> {
    while (this.pending >= this.limit && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure.error;
  }

  track(operation: Promise<unknown>): void {
    this.pending++;
    operation.then(
      () => this.settle(),
      (error: unknown) => {
        this.failure ??= { error };
        this.settle();
      },
    );
  }

  /** Waits until nothing is pending; throws the first failure, if any. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure.error;
  }

  private settle(): void {
    this.pending--;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
