import type { Alert } from './alert.js';

/**
 * Flap detection (the alerter side of Alertmanager's open issue #204): an alert that starts `threshold` episodes
 * within `windowMs` of event time is flapping. It is then shown as one firing alert, annotated `flapping: "true"` and
 * notified once; further clears and re-fires are folded into it, and it resolves only after staying clear for
 * `quietMs` of wall-clock time. Episodes are counted in event time, so a replay of old data flaps exactly as the
 * live run did; the quiet period is wall time because it waits for something not to happen.
 */
export interface FlapPolicy {
  /** Episode starts within the window that make an alert flapping; 0 turns detection off. */
  readonly threshold: number;
  readonly windowMs: number;
  readonly quietMs: number;
}

export const DEFAULT_FLAP_POLICY: FlapPolicy = { threshold: 3, windowMs: 600_000, quietMs: 600_000 };

/** The annotation a flapping alert carries in every notification and in the API. */
export const FLAPPING_ANNOTATION = 'flapping';

export function isFlapping(alert: Alert): boolean {
  return alert.annotations[FLAPPING_ANNOTATION] === 'true';
}

/**
 * Adds an episode start to the recent ones (event time, ascending) and says whether the alert now flaps. Returns the
 * starts still inside the window, never more than `threshold` of them.
 */
export function recordEpisodeStart(
  recent: readonly number[],
  startsAt: number,
  policy: FlapPolicy,
): { starts: number[]; flapping: boolean } {
  if (policy.threshold <= 0) return { starts: [], flapping: false };
  const starts = [...recent.filter((t) => t > startsAt - policy.windowMs && t < startsAt), startsAt].slice(
    -policy.threshold,
  );
  return { starts, flapping: starts.length >= policy.threshold };
}
