import { retry } from '@kiln/flow';
import { isTransientJetStreamError } from './nats-errors.js';

/** From 100 ms, doubling to 2 s: a cluster elects its leaders within seconds. */
const TRANSIENT_BACKOFF = { initialDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Runs a JetStream request again while its failure is transient (isTransientJetStreamError), for up to `forMs`, so
 * that a Kiln process started together with its NATS cluster waits for it instead of exiting.
 */
export async function retryTransient<T>(
  what: string,
  op: () => Promise<T>,
  forMs = 120_000,
  onRetry?: (err: unknown) => void,
): Promise<T> {
  try {
    return await retry(op, {
      backoff: TRANSIENT_BACKOFF,
      retryable: isTransientJetStreamError,
      maxElapsedMs: forMs,
      ...(onRetry ? { onRetry: (e) => onRetry(e.error) } : {}),
    });
  } catch (err) {
    throw new Error(`${what}: ${String(err)}`, { cause: err });
  }
}
