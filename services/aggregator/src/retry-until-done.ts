import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@kiln/log';
import { FencedError } from './checkpoint.js';

export interface RetryContext {
  log: Logger;
  /** Counts each failed attempt. */
  onRetry: () => void;
  /** Once stopping, an operation gives up after its third attempt. */
  stopping: () => boolean;
}

/**
 * Storage or NATS trouble stalls a partition (JetStream keeps the backlog) but never loses or skips work: the
 * operation is retried with back-off until it succeeds, or until the partition is fenced off or stopping.
 */
export async function retryUntilDone(what: string, op: () => Promise<unknown>, context: RetryContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await op();
      return;
    } catch (err) {
      if (err instanceof FencedError) throw err;
      context.onRetry();
      const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
      context.log.error({ err, attempt, retryInMs: delay }, `${what} failed; retrying`);
      if (context.stopping() && attempt >= 3) throw err;
      await sleep(delay);
    }
  }
}
