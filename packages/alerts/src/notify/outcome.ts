import type { Alert, AlertStatus } from '../alert.js';

/**
 * - `delivered`: the receiver accepted the notification.
 * - `retrying`: one attempt failed; another follows after `retryInMs`.
 * - `failed`: given up (a final error, the retry time ran out, or the notifier closed). Not recorded as notified,
 *   so the same alert event arriving again is tried again.
 * - `deduplicated`: the receiver was already notified of this state of every alert in it.
 * - `error`: a stage other than delivery failed (e.g. the notification log); `error` says which and how.
 */
export type NotifyResult = 'delivered' | 'retrying' | 'failed' | 'deduplicated' | 'error';

/** What a stage reports about one notification. */
export interface OutcomeDetail {
  readonly result: NotifyResult;
  /** Delivery attempts made so far (0 when none was made). */
  readonly attempts: number;
  readonly httpStatus?: number;
  readonly error?: string;
  readonly retryInMs?: number;
  /** Time since the first delivery attempt, wall clock. */
  readonly elapsedMs?: number;
}

/** One report to the notifier's `onOutcome` hook. */
export interface NotifyOutcome extends OutcomeDetail {
  readonly receiver: string;
  readonly receiverType: string;
  readonly groupKey: string;
  /** The notification's status: `firing` while any of its alerts fires. */
  readonly status: AlertStatus;
  /** The alerts it carried, each with its fingerprint and status. */
  readonly alerts: readonly Alert[];
}
