import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryResult, SendOptions } from '../receivers/receiver.js';
import type { Notification } from './notification.js';
import type { OutcomeDetail } from './outcome.js';
import { backoffDelay } from '@kiln/flow';
import type { RetryOptions } from './retry-policy.js';

/**
 * Sends a notification with `send` (one request to the receiver), retrying retryable failures (network errors, timeouts, 408, 429, 5xx)
 * with jittered exponential backoff, never sooner than the endpoint's Retry-After asks, until the retry time runs out
 * or `signal` aborts. Every failed attempt and the final result are reported; returns whether it was delivered.
 */
export async function sendWithRetries(
  send: (notification: Notification, options: SendOptions) => Promise<DeliveryResult>,
  notification: Notification,
  options: RetryOptions,
  signal: AbortSignal,
  report: (detail: OutcomeDetail) => void,
): Promise<boolean> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) {
      report({
        result: 'failed',
        attempts: attempt - 1,
        error: 'notifier closed before delivery',
        elapsedMs: elapsed(),
      });
      return false;
    }
    const result = await send(notification, { signal, timeoutMs: options.requestTimeoutMs });
    if (result.ok) {
      report({ result: 'delivered', attempts: attempt, httpStatus: result.httpStatus, elapsedMs: elapsed() });
      return true;
    }
    const http = result.httpStatus === undefined ? {} : { httpStatus: result.httpStatus };
    if (!result.retryable) {
      report({ result: 'failed', attempts: attempt, ...http, error: result.error, elapsedMs: elapsed() });
      return false;
    }
    const delay = Math.ceil(Math.max(backoffDelay(options, attempt), result.retryAfterMs ?? 0));
    if (elapsed() + delay > options.maxElapsedMs) {
      const error = `${result.error} (gave up: next attempt in ${delay} ms would pass the ${options.maxElapsedMs} ms retry limit)`;
      report({ result: 'failed', attempts: attempt, ...http, error, elapsedMs: elapsed() });
      return false;
    }
    report({
      result: 'retrying',
      attempts: attempt,
      ...http,
      error: result.error,
      retryInMs: delay,
      elapsedMs: elapsed(),
    });
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      report({
        result: 'failed',
        attempts: attempt,
        ...http,
        error: `${result.error} (notifier closed while waiting to retry)`,
        elapsedMs: elapsed(),
      });
      return false;
    }
  }
}
