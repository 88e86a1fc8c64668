import { hashString } from '../fingerprint.js';
import type { Notification } from '../notify/notification.js';

export interface SendOptions {
  /** Aborted when the notifier closes. */
  readonly signal: AbortSignal;
  /** Limit on each request, response included. */
  readonly timeoutMs: number;
}

/** Result of one delivery attempt. Retrying is the caller's business; the receiver only says whether it may help. */
export type DeliveryResult =
  | { readonly ok: true; readonly httpStatus: number }
  | {
      readonly ok: false;
      /** A network error, timeout, 408, 429 or 5xx: the same request may succeed later. */
      readonly retryable: boolean;
      readonly error: string;
      readonly httpStatus?: number;
      /** The endpoint's Retry-After, in ms from now. */
      readonly retryAfterMs?: number;
    };

/** Requests per minute a destination accepts, with a burst allowance. */
export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

/** An integration that delivers notifications to one destination (Alertmanager's notify.Integration). */
export interface Receiver {
  /** Unique among the notifier's receivers; keys the notification log, so it must stay the same across restarts. */
  readonly name: string;
  readonly type: string;
  /** Whether resolved alerts are sent (default true). */
  readonly sendResolved?: boolean;
  /** The destination's rate limit; notifications over it wait and coalesce. None when unset. */
  readonly rateLimit?: RateLimit;
  /** Receivers with the same key share one rate limit (e.g. two receivers posting to one PagerDuty routing key). */
  readonly rateLimitKey?: string;
  /** A destination that forgets firing alerts unless told again (Alertmanager): firing groups are re-sent this often. */
  readonly resendIntervalMs?: number;
  /** Requests one notification costs against the rate limit (default 1). */
  requestsFor?(notification: Notification): number;
  send(notification: Notification, options: SendOptions): Promise<DeliveryResult>;
}

export class ReceiverConfigError extends Error {
  constructor(
    readonly receiverType: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid ${receiverType} receiver: ${problems.join('; ')}`);
    this.name = 'ReceiverConfigError';
  }
}

/**
 * A receiver's name when its config gives none: the type and a hash of the destination, stable across restarts
 * and distinct per destination without revealing URLs or routing keys (which are secrets) in logs and metrics.
 */
export function defaultReceiverName(type: string, destination: string): string {
  return `${type}-${hashString(destination).slice(0, 8)}`;
}
