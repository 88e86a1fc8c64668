import type { RateLimit } from '../receivers/receiver.js';

/**
 * A token bucket: `burst` requests at once, refilled at `perMinute`. In any minute it lets through at most
 * burst + perMinute requests, so PagerDuty's ~120 per minute per routing key is kept by, e.g., 100/min with a burst of
 * 20. A request that costs more than one token (a notification that becomes several API calls) may take the bucket
 * below zero; the next one then waits for the debt to be paid, so the average rate holds.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly perMs: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.perMinute > 0) || !(limit.burst >= 1))
      throw new RangeError(`rate limit needs perMinute > 0 and burst >= 1, got ${JSON.stringify(limit)}`);
    this.tokens = limit.burst;
    this.updatedAt = this.now();
    this.perMs = limit.perMinute / 60_000;
  }

  /** Ms until a request may go; 0 when it may go now. Does not take anything. */
  delay(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  /** Takes `cost` tokens for a request that goes now. */
  take(cost: number): void {
    this.refill();
    this.tokens -= cost;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.updatedAt) * this.perMs);
    this.updatedAt = now;
  }
}
