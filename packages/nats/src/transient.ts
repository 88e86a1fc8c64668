import { setTimeout as sleep } from 'node:timers/promises';

/**
 * JetStream answers that mean "not now" rather than "no": no server has taken the request (a cluster still electing its
 * leaders after a start or the loss of a node reports this as "jetstream is not enabled"), or it took too long.
 */
export function isTransientJetStreamError(err: unknown): boolean {
  return /jetstream is not enabled|no responders|timeout|temporarily unavailable|no suitable peers|insufficient resources/i.test(String(err));
}

/**
 * Runs a JetStream request again while its failure is transient, for up to `forMs` (backing off to 2 s), so that a
 * Kiln process started together with its NATS cluster waits for it instead of exiting.
 */
export async function retryTransient<T>(what: string, op: () => Promise<T>, forMs = 120_000, onRetry?: (err: unknown) => void): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let delay = 100; ; delay = Math.min(2_000, delay * 2)) {
    try {
      return await op();
    } catch (err) {
      if (!isTransientJetStreamError(err) || Date.now() + delay > deadline) {
        throw new Error(`${what}: ${String(err)}`, { cause: err });
      }
      onRetry?.(err);
      await sleep(delay);
    }
  }
}
