import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '@kiln/flow';
import type { Logger } from '@kiln/log';
import { FencedError } from './checkpoint.js';
import type { IngestStats } from './ingest-stats.js';

export interface RetryContext {
  stats: IngestStats;
  log: Logger;
  /** True once the run is stopping: a step still failing after three attempts is then given up. */
  stopping: () => boolean;
}

/** 0.5 s, doubling to 30 s, jittered: partitions that lost storage together come back spread out. */
const RETRY_BACKOFF = { initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Runs one step of the write sequence until it succeeds. This is the only retry around an insert (the store makes one
 * attempt per call): a batch may not be skipped, so storage or NATS trouble stalls the partition (JetStream keeps the
 * backlog) instead of losing or reordering a batch. A fenced checkpoint is never retried: the partition has a new owner.
 */
export async function retryUntilDone(what: string, op: () => Promise<unknown>, ctx: RetryContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await op();
      return;
    } catch (err) {
      if (err instanceof FencedError) throw err;
      ctx.stats.insertRetries++;
      const delay = backoffDelay(RETRY_BACKOFF, attempt);
      ctx.log.error({ err, attempt, retryInMs: delay }, `${what} failed; retrying`);
      if (ctx.stopping() && attempt >= 3) throw err;
      await sleep(delay);
    }
  }
}
