import type { BackoffPolicy } from '@kiln/flow';

export interface RetryOptions extends BackoffPolicy {
  /** Backoff before the first retry; it doubles (multiplier) after each failure up to maxDelayMs. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** Give up once the next attempt would start later than this after the first (then report failure). */
  readonly maxElapsedMs: number;
  /** Limit on one request, response body included. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  multiplier: 2,
  maxElapsedMs: 600_000,
  requestTimeoutMs: 10_000,
};

export function resolveRetryOptions(overrides: Partial<RetryOptions> = {}): RetryOptions {
  const options = { ...DEFAULT_RETRY_OPTIONS, ...overrides };
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`retry option ${name} must be a non-negative number, got ${value}`);
  }
  if (options.multiplier < 1)
    throw new RangeError(`retry option multiplier must be at least 1, got ${options.multiplier}`);
  if (options.requestTimeoutMs === 0) throw new RangeError('retry option requestTimeoutMs must be positive');
  return options;
}
