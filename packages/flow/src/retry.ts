import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffPolicy } from './backoff.js';

export interface RetryEvent {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** Wait before the next attempt. */
  readonly delayMs: number;
  readonly error: unknown;
}

export interface RetryOptions {
  readonly backoff: BackoffPolicy;
  /** Whether a failure may go away by trying again; others end the retries at once (default: every failure may). */
  readonly retryable?: (error: unknown) => boolean;
  /** Attempts in all, the first included (default: no limit). */
  readonly maxAttempts?: number;
  /** Gives up once the next attempt would start later than this after the first (default: no limit). */
  readonly maxElapsedMs?: number;
  /** Called before each wait, e.g. to count and log the retry. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Ends the retries: a pending wait rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly random?: () => number;
}

/**
 * Runs `attempt` until it succeeds. A failure that is not retryable, or one after which the attempts or the time run
 * out, is thrown as it is, so the caller can tell and name it. Each attempt must be safe to repeat.
 */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { retryable = () => true, maxAttempts = Infinity, maxElapsedMs = Infinity } = options;
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || n >= maxAttempts) throw error;
      const delayMs = backoffDelay(options.backoff, n, options.random);
      if (Date.now() - started + delayMs > maxElapsedMs) throw error;
      options.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, undefined, options.signal === undefined ? undefined : { signal: options.signal });
    }
  }
}
