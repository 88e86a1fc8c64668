/** Node's setTimeout fires at once for delays beyond 2^31-1 ms; longer waits are re-armed in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** One pending timer per key, at a wall-clock time; scheduling a key again replaces its timer. */
export class KeyedTimers {
  private readonly timers = new Map<string, { at: number; handle: NodeJS.Timeout }>();

  constructor(private readonly now: () => number = Date.now) {}

  schedule(key: string, at: number, fire: () => void): void {
    this.cancel(key);
    const delay = Math.max(0, at - this.now());
    const handle = setTimeout(
      () => {
        this.timers.delete(key);
        if (delay > MAX_DELAY_MS) this.schedule(key, at, fire);
        else fire();
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    this.timers.set(key, { at, handle });
  }

  /** When the key's timer fires; undefined when none is pending. */
  dueAt(key: string): number | undefined {
    return this.timers.get(key)?.at;
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t.handle);
    this.timers.delete(key);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }
}
