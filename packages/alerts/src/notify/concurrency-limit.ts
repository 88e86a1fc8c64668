import type { DeliveryResult, Receiver, SendOptions } from '../receivers/receiver.js';
import type { Notification } from './notification.js';

/**
 * Wraps a receiver so that at most `max` of its requests are open at once; the rest wait their turn in arrival
 * order. An alert storm then reuses a few keep-alive connections instead of opening one per alert, which is
 * several times faster on loopback and spares the endpoint. Waiting for a slot does not count against the
 * request timeout.
 */
export function limitConcurrency(receiver: Receiver, max: number): Receiver {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  let open = 0;
  // FIFO of waiters; `head` instead of shift(), which is O(n) and made a storm of thousands quadratic.
  let waiting: ((() => void) | undefined)[] = [];
  let head = 0;
  // A finished request hands its slot straight to the next waiter, so a newcomer cannot slip in between.
  const release = () => {
    if (head === waiting.length) {
      open--;
      return;
    }
    const next = waiting[head] as () => void;
    waiting[head++] = undefined;
    if (head === waiting.length) (waiting = []), (head = 0);
    else if (head >= 1024 && head * 2 >= waiting.length) (waiting = waiting.slice(head)), (head = 0);
    next();
  };
  return {
    name: receiver.name,
    type: receiver.type,
    async send(notification: Notification, options: SendOptions): Promise<DeliveryResult> {
      if (open < max) open++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await receiver.send(notification, options);
      } finally {
        release();
      }
    },
  };
}
