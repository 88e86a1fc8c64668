import type { Alert, AlertStatus } from '../alert.js';
import type { NotificationReason } from './notification.js';

/**
 * - `delivered`: the receiver accepted the notification.
 * - `retrying`: one attempt failed; another follows after `retryInMs`.
 * - `failed`: given up (a final error, the retry time ran out, or the notifier closed). Not recorded in the log, so
 *   the group's next flush tries again.
 * - `throttled`: the receiver's rate limit holds the notification for `retryInMs`; it then goes out with the group's
 *   state at that time, so changes in between coalesce into it.
 * - `error`: something other than delivery failed (the notification log could not be written); `error` says what.
 */
export type NotifyResult = 'delivered' | 'retrying' | 'failed' | 'throttled' | 'error';

/** What happened to one notification. */
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
  readonly reason: NotificationReason;
  /** The alerts it carried, each with its fingerprint and status. */
  readonly alerts: readonly Alert[];
  /** Those of them whose state was news to the receiver. */
  readonly updates: readonly Alert[];
}
