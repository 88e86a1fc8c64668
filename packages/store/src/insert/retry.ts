import { retry } from '@kiln/flow';

/**
 * Retries for transient failures. `@clickhouse/client` has none of its own. The store retries its reads with it; a
 * writer that may give up after a few attempts (the alert history) retries its inserts with it, under the same
 * deduplication token, so that a retry after a write the server did accept (a timeout on the way back) is dropped by
 * the table's deduplication window instead of stored twice. Ingest, which may never give up, has its own loop.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  maxAttempts: number;
  /** Delay before the first retry; it doubles per retry (default 200 ms). */
  baseDelayMs: number;
  /** Upper bound of one delay (default 10 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 };

export interface RetryEvent {
  /** What was retried, e.g. `insert kiln.gpu_samples`. */
  operation: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** Wait before the next attempt. */
  delayMs: number;
  error: unknown;
}

export type RetryHook = (event: RetryEvent) => void;

/** Node system errors that mean the connection broke, not that the request was wrong. */
const TRANSIENT_SYSTEM_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

/**
 * ClickHouse error codes worth retrying: 159 TIMEOUT_EXCEEDED, 202 TOO_MANY_SIMULTANEOUS_QUERIES, 209 SOCKET_TIMEOUT,
 * 210 NETWORK_ERROR, 241 MEMORY_LIMIT_EXCEEDED, 242 TABLE_IS_READ_ONLY, 252 TOO_MANY_PARTS, 319
 * UNKNOWN_STATUS_OF_INSERT, 425 SYSTEM_ERROR, 999 KEEPER_EXCEPTION. Parse, syntax and schema errors are not here.
 */
const TRANSIENT_CLICKHOUSE_CODES = new Set([159, 202, 209, 210, 241, 242, 252, 319, 425, 999]);

/** A failed HTTP exchange whose body was not a ClickHouse exception: the client reports only the body text, so a
 *  proxy's or load balancer's 5xx page is recognised by its status line. */
const HTTP_5XX_TEXT = /\b50[0-9]\b|Bad Gateway|Service Unavailable|Gateway Time-?out/i;

/** The numeric ClickHouse error code of an error, when it carries one (ClickHouseError's `code` is a numeric string). */
export function clickhouseErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, type } = error as { code?: unknown; type?: unknown };
  if (typeof code !== 'string' || typeof type !== 'string' || !/^\d+$/.test(code)) return undefined;
  return Number(code);
}

export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const chCode = clickhouseErrorCode(error);
  if (chCode !== undefined) return TRANSIENT_CLICKHOUSE_CODES.has(chCode);
  const sysCode = (error as { code?: unknown }).code;
  if (typeof sysCode === 'string' && TRANSIENT_SYSTEM_CODES.has(sysCode)) return true;
  const message = error.message;
  return (
    message === 'Timeout error.' ||
    message.includes('socket hang up') ||
    [...TRANSIENT_SYSTEM_CODES].some((c) => message.includes(c)) ||
    HTTP_5XX_TEXT.test(message.slice(0, 200))
  );
}

export class RetriesExhaustedError extends Error {
  constructor(
    readonly operation: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${operation} failed after ${attempts} attempts (transient errors); last error: ${reason}`, { cause });
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error (rethrown as is), or fails transiently
 * `maxAttempts` times (RetriesExhaustedError). Each attempt must be safe to repeat.
 */
export async function withRetry<T>(
  operation: string,
  policy: RetryPolicy,
  onRetry: RetryHook | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  let attempts = 0;
  try {
    return await retry(
      () => {
        attempts++;
        return attempt();
      },
      {
        backoff: { initialDelayMs: policy.baseDelayMs, maxDelayMs: policy.maxDelayMs },
        retryable: isTransientError,
        maxAttempts: policy.maxAttempts,
        onRetry: (e) => onRetry?.({ operation, attempt: e.attempt, delayMs: e.delayMs, error: e.error }),
      },
    );
  } catch (error) {
    throw isTransientError(error) ? new RetriesExhaustedError(operation, attempts, error) : error;
  }
}
