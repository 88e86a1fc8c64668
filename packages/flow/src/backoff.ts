/** Exponential backoff: the delay before the first retry, multiplied after each failure, capped. */
export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Growth per failure (default 2). */
  readonly multiplier?: number;
}

/**
 * The delay before retry number `retry` (1 = the first retry), in whole ms: exponential, capped, with "equal jitter"
 * (uniform in the upper half of the step). Processes that failed together (a fleet of agents losing NATS at once)
 * then retry spread out instead of in lockstep, while no delay falls below half its step.
 */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const growth = (policy.multiplier ?? 2) ** Math.min(Math.max(0, retry - 1), 1023);
  const step = Math.min(policy.maxDelayMs, policy.initialDelayMs * growth);
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Backoff for a loop that keeps failing and recovering: next() after each failure, reset() after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next retry. */
  next(): number {
    return backoffDelay(this.policy, ++this.failures, this.random);
  }

  reset(): void {
    this.failures = 0;
  }
}
