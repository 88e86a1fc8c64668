/**
 * "Log the first failure, then one a minute": the first of a run of like events is logged, then at most one per
 * interval, so an outage that fails every tick does not flood the log. An event of another kind (a `key` unlike the
 * last one, such as a new error line) is logged at once.
 */
export class LogThrottle {
  private lastAt = -Infinity;
  private lastKey: string | undefined;

  constructor(
    readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this occurrence is to be logged; if so, the interval starts again from now. */
  allow(key?: string): boolean {
    const at = this.now();
    if (key === this.lastKey && at - this.lastAt < this.intervalMs) return false;
    this.lastAt = at;
    this.lastKey = key;
    return true;
  }
}
