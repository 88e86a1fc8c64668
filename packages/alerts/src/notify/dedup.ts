import type { Alert, Labels } from '../alert.js';
import type { Receiver } from '../receivers/receiver.js';
import type { NotificationLog, NotificationLogEntry } from './notification-log.js';
import type { Notification, NotificationReason } from './notification.js';

/** A group as it stands when it is flushed. */
export interface GroupSnapshot {
  readonly groupKey: string;
  readonly groupLabels: Labels;
  /** Firing alerts that are neither silenced nor inhibited. */
  readonly firing: readonly Alert[];
  /** Resolved alerts not yet removed from the group. */
  readonly resolved: readonly Alert[];
}

export interface NotifyDecision {
  /** What to send; undefined when the receiver only needs the log brought up to date (send_resolved: false). */
  readonly notification: Notification | undefined;
  /** The alert states to write to the log once the notification is delivered (or at once, without one). */
  readonly record: readonly Alert[];
}

/**
 * Alertmanager's dedup decision (notify.DedupStage needsUpdate), per alert: a receiver is notified when one of the
 * group's firing alerts is in an episode it has not heard of, when an alert it heard fire has resolved (if it wants
 * resolutions), or when the group still fires and repeat_interval has passed since it was last told. A resolution is
 * news only to a receiver that heard the alert fire, so an alert that fires and clears within group_wait pages
 * nobody; a muted (silenced or inhibited) alert that resolves is still reported resolved to those who heard it fire,
 * which closes their incident. Returns undefined when there is nothing to do.
 */
export function decideNotification(
  receiver: Receiver,
  snapshot: GroupSnapshot,
  log: NotificationLog,
  now: number,
  repeatIntervalMs: number,
  externalURL: string,
): NotifyDecision | undefined {
  const sendResolved = receiver.sendResolved ?? true;
  const entryOf = (a: Alert) => log.get(receiver.name, a.fingerprint);
  const newFiring: Alert[] = [];
  let lastNotifiedAt = -Infinity;
  let firstEver = true;
  for (const a of snapshot.firing) {
    const entry = entryOf(a);
    if (entry !== undefined) firstEver = false;
    if (entry === undefined || entry.startsAt < a.startsAt) newFiring.push(a);
    else if (entry.startsAt === a.startsAt && entry.status === 'firing')
      lastNotifiedAt = Math.max(lastNotifiedAt, entry.notifiedAt);
  }
  const newResolved = snapshot.resolved.filter((a) => heardFiring(entryOf(a), a));
  if (newResolved.length > 0) firstEver = false;

  const repeatEvery = Math.min(repeatIntervalMs, receiver.resendIntervalMs ?? Infinity);
  const repeat = newFiring.length === 0 && Number.isFinite(lastNotifiedAt) && now - lastNotifiedAt >= repeatEvery;
  const wantsResolved = sendResolved && newResolved.length > 0;
  if (newFiring.length === 0 && !repeat && !wantsResolved) {
    return newResolved.length > 0 ? { notification: undefined, record: newResolved } : undefined;
  }

  const reported = sendResolved ? newResolved : [];
  const alerts = [...snapshot.firing, ...reported];
  let reason: NotificationReason;
  if (newFiring.length > 0) reason = firstEver ? 'first notification' : 'new alerts added';
  else if (repeat) reason = 'repeat interval elapsed';
  else reason = snapshot.firing.length === 0 ? 'all alerts resolved' : 'some alerts resolved';
  const notification: Notification = {
    receiver: receiver.name,
    groupKey: snapshot.groupKey,
    groupLabels: snapshot.groupLabels,
    status: snapshot.firing.length > 0 ? 'firing' : 'resolved',
    alerts,
    updates: repeat ? [...snapshot.firing, ...reported] : [...newFiring, ...reported],
    reason,
    externalURL,
  };
  return { notification, record: [...(repeat ? snapshot.firing : newFiring), ...newResolved] };
}

/** Whether the receiver's last word on the alert is that this episode (or an earlier one) fires. */
function heardFiring(entry: NotificationLogEntry | undefined, alert: Alert): boolean {
  return entry !== undefined && entry.status === 'firing' && entry.startsAt <= alert.startsAt;
}
