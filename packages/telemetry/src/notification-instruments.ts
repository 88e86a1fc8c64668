import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { Telemetry } from './telemetry.js';

/** What the notifier reports of one notification (NotifyOutcome of @kiln/alerts). */
export interface NotificationOutcome {
  readonly receiver: string;
  readonly receiverType: string;
  readonly groupKey: string;
  readonly status: string;
  readonly reason: string;
  /** delivered | retrying | failed | throttled | error */
  readonly result: string;
  readonly attempts: number;
  readonly httpStatus?: number;
  readonly error?: string;
  /** Time since the first delivery attempt. */
  readonly elapsedMs?: number;
  readonly alerts: readonly unknown[];
}

/** A configured receiver, so that its series exist (at zero) before its first notification. */
export interface ReceiverRef {
  readonly name: string;
  readonly type: string;
}

const DURATION_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

/**
 * Returns the notifier's outcome hook for Kiln's telemetry: every outcome is counted by receiver, integration and
 * outcome; a notification that ends (delivered or failed) records its time from first attempt to end, and a span,
 * sampled, that carries the group key the alerter's `notification` log line carries too.
 */
export function recordNotifications(
  telemetry: Pick<Telemetry, 'meter' | 'tracer'>,
  receivers: readonly ReceiverRef[],
): (outcome: NotificationOutcome) => void {
  const { meter, tracer } = telemetry;
  const outcomes = meter.createCounter('kiln_notifications_total', {
    description:
      'Notification outcomes by receiver, integration and outcome (delivered, failed, retrying, throttled, error)',
  });
  const duration = meter.createHistogram('kiln_notification_duration_seconds', {
    description: 'Time from the first delivery attempt of a notification to its delivery or failure, retries included',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  for (const r of receivers) {
    for (const outcome of ['delivered', 'failed']) outcomes.add(0, { receiver: r.name, integration: r.type, outcome });
  }
  return (o) => {
    const attributes: Attributes = { receiver: o.receiver, integration: o.receiverType, outcome: o.result };
    outcomes.add(1, attributes);
    if (o.result !== 'delivered' && o.result !== 'failed') return;
    const elapsedMs = o.elapsedMs ?? 0;
    duration.record(elapsedMs / 1000, attributes);
    const end = Date.now();
    const span = tracer.startSpan('kiln.notify', {
      kind: SpanKind.CLIENT,
      startTime: end - elapsedMs,
      attributes: {
        'kiln.receiver': o.receiver,
        'kiln.receiver.type': o.receiverType,
        'kiln.notification.group_key': o.groupKey,
        'kiln.notification.status': o.status,
        'kiln.notification.reason': o.reason,
        'kiln.notification.alerts': o.alerts.length,
        'kiln.notification.attempts': o.attempts,
        ...(o.httpStatus !== undefined ? { 'http.response.status_code': o.httpStatus } : {}),
      },
    });
    if (o.result === 'failed')
      span.setStatus({ code: SpanStatusCode.ERROR, ...(o.error !== undefined ? { message: o.error } : {}) });
    span.end(end);
  };
}
