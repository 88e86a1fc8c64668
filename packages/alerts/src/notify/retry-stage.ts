import { setTimeout as sleep } from 'node:timers/promises';
import type { RetryOptions } from './retry-policy.js';
import { backoffDelay } from './retry-policy.js';
import type { NotifyJob, Stage, StageContext } from './stage.js';

/**
 * Sends the notification through its receiver, retrying retryable failures (network errors, timeouts, 408, 429,
 * 5xx) with jittered exponential backoff, never sooner than the endpoint's Retry-After asks, until the retry time
 * runs out. Every failed attempt and the final result are reported; only a delivered notification moves on.
 */
export class RetryStage implements Stage {
  readonly name = 'retry';

  constructor(private readonly options: RetryOptions) {}

  async exec(job: NotifyJob, ctx: StageContext): Promise<NotifyJob | undefined> {
    const { signal } = ctx;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) {
        ctx.report(job, { result: 'failed', attempts: attempt - 1, error: 'notifier closed before delivery', elapsedMs: elapsed() });
        return undefined;
      }
      const result = await job.receiver.send(job.notification, { signal, timeoutMs: this.options.requestTimeoutMs });
      if (result.ok) {
        ctx.report(job, { result: 'delivered', attempts: attempt, httpStatus: result.httpStatus, elapsedMs: elapsed() });
        return job;
      }
      const http = result.httpStatus === undefined ? {} : { httpStatus: result.httpStatus };
      if (!result.retryable) {
        ctx.report(job, { result: 'failed', attempts: attempt, ...http, error: result.error, elapsedMs: elapsed() });
        return undefined;
      }
      const delay = Math.ceil(Math.max(backoffDelay(attempt, this.options), result.retryAfterMs ?? 0));
      if (elapsed() + delay > this.options.maxElapsedMs) {
        const error = `${result.error} (gave up: next attempt in ${delay} ms would pass the ${this.options.maxElapsedMs} ms retry limit)`;
        ctx.report(job, { result: 'failed', attempts: attempt, ...http, error, elapsedMs: elapsed() });
        return undefined;
      }
      ctx.report(job, { result: 'retrying', attempts: attempt, ...http, error: result.error, retryInMs: delay, elapsedMs: elapsed() });
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        ctx.report(job, { result: 'failed', attempts: attempt, ...http, error: `${result.error} (notifier closed while waiting to retry)`, elapsedMs: elapsed() });
        return undefined;
      }
    }
  }
}
