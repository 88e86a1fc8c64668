import type { StateStore } from '@kiln/alerts';

/** A write refused because this alerter no longer leads; the event behind it is redelivered to the new leader. */
export class FencedOffError extends Error {
  constructor() {
    super('this alerter no longer leads: state write refused');
    this.name = 'FencedOffError';
  }
}

/**
 * A StateStore whose writes first pass the leader's fence, so an alerter that woke from a pause after another took
 * over cannot write an older state over the new leader's.
 */
export class FencedStateStore<T> implements StateStore<T> {
  constructor(
    private readonly inner: StateStore<T>,
    private readonly fence: () => Promise<boolean>,
  ) {}

  load(): Promise<Map<string, T>> {
    return this.inner.load();
  }

  async put(key: string, value: T): Promise<void> {
    if (!(await this.fence())) throw new FencedOffError();
    await this.inner.put(key, value);
  }

  async delete(key: string): Promise<void> {
    if (!(await this.fence())) throw new FencedOffError();
    await this.inner.delete(key);
  }
}
