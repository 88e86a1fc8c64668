import type { ServerResponse } from 'node:http';
import type { Responder } from '@kiln/testkit';
import type {
  AlertEvent,
  GroupSnapshot,
  NotifierOptions,
  NotifyOutcome,
  Receiver,
  RetryOptions,
} from '../src/index.js';
import { formatLabels, Notifier, toAlert } from '../src/index.js';

export const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

/** A contract-valid thermal alert about GPU 3 of r0042-t07. */
export function gpuAlertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    labels: {
      alertname: 'GpuTemperatureNearSlowdown',
      severity: 'critical',
      category: 'thermal',
      cluster: 'eus2-ai1',
      rack: 'r0042',
      host: 'r0042-t07',
      gpu: '3',
      uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002',
    },
    annotations: { summary: 'GPU 3 on r0042-t07 is at 84 °C', description: 'temp_c=84 threshold=82' },
    status: 'firing',
    startsAt: T0,
    generatorURL: 'http://grafana.example/d/gpu?var-host=r0042-t07',
    ...overrides,
  };
}

/** The same alert on another GPU of the same host. */
export function onGpu(gpu: string, overrides: Partial<AlertEvent> = {}): AlertEvent {
  const base = gpuAlertEvent(overrides);
  return { ...base, labels: { ...base.labels, gpu, uuid: `GPU-0000000${gpu}` } };
}

export function resolvedOf(event: AlertEvent, endsAt = event.startsAt + 60_000): AlertEvent {
  return { ...event, status: 'resolved', endsAt };
}

/** A group holding exactly these alert states, keyed like Alertmanager's single-alert group `{}:{labels}`. */
export function snapshotOf(...events: AlertEvent[]): GroupSnapshot {
  const alerts = events.map(toAlert);
  const first = events[0] as AlertEvent;
  return {
    groupKey: `{}:${formatLabels(first.labels)}`,
    groupLabels: first.labels,
    firing: alerts.filter((a) => a.status === 'firing'),
    resolved: alerts.filter((a) => a.status === 'resolved'),
  };
}

/**
 * Asks the notifier to bring `receiver` up to date with a group holding these alert states, as the dispatcher does
 * when it flushes a group; resolves with whether the receiver ended up up to date.
 */
export async function notifyState(notifier: Notifier, receiver: string, ...events: AlertEvent[]): Promise<boolean> {
  const snapshot = snapshotOf(...events);
  let upToDate = false;
  await notifier.notify({
    receiver,
    lane: `${receiver} ${snapshot.groupKey}`,
    repeatIntervalMs: 4 * 3_600_000,
    snapshot: () => snapshot,
    settled: (ok) => (upToDate = ok),
  });
  return upToDate;
}

/** Small delays so retries take milliseconds; the suite asserts counts and orders, never speed. */
export const FAST_RETRY: Partial<RetryOptions> = {
  initialDelayMs: 10,
  maxDelayMs: 40,
  requestTimeoutMs: 5_000,
  maxElapsedMs: 20_000,
};

export function notifierFor(
  receivers: Receiver[],
  retry: Partial<RetryOptions> = FAST_RETRY,
  extra: Partial<NotifierOptions> = {},
): { notifier: Notifier; outcomes: NotifyOutcome[] } {
  const outcomes: NotifyOutcome[] = [];
  const notifier = new Notifier({
    receivers,
    retry,
    externalURL: 'http://127.0.0.1:9093',
    onOutcome: (o) => outcomes.push(o),
    ...extra,
  });
  return { notifier, outcomes };
}

/** Answers the n-th request with statuses[n] (the last one repeating), with optional extra headers per status. */
export function answerWith(
  statuses: readonly number[],
  headers: Readonly<Record<number, Record<string, string>>> = {},
): Responder {
  return (_req, n, res: ServerResponse) => {
    const status = statuses[Math.min(n, statuses.length - 1)] ?? 200;
    res
      .writeHead(status, { 'content-type': 'text/plain', ...headers[status] })
      .end(status < 300 ? 'ok' : `status ${status} from test endpoint`);
  };
}
