import type { ServerResponse } from 'node:http';
import type { AlertEvent, NotifyOutcome, Receiver, RetryOptions } from '../src/index.js';
import { Notifier } from '../src/index.js';
import type { Responder } from '@kiln/testkit';

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

export function resolvedOf(event: AlertEvent, endsAt = event.startsAt + 60_000): AlertEvent {
  return { ...event, status: 'resolved', endsAt };
}

/** Small delays so retries take milliseconds; the suite asserts counts and orders, never speed. */
export const FAST_RETRY: Partial<RetryOptions> = { initialDelayMs: 10, maxDelayMs: 40, requestTimeoutMs: 5_000, maxElapsedMs: 20_000 };

export function notifierFor(receivers: Receiver[], retry: Partial<RetryOptions> = FAST_RETRY): { notifier: Notifier; outcomes: NotifyOutcome[] } {
  const outcomes: NotifyOutcome[] = [];
  const notifier = new Notifier({ receivers, retry, externalURL: 'http://127.0.0.1:9093', onOutcome: (o) => outcomes.push(o) });
  return { notifier, outcomes };
}

/** Answers the n-th request with statuses[n] (the last one repeating), with optional extra headers per status. */
export function answerWith(statuses: readonly number[], headers: Readonly<Record<number, Record<string, string>>> = {}): Responder {
  return (_req, n, res: ServerResponse) => {
    const status = statuses[Math.min(n, statuses.length - 1)] ?? 200;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers[status] }).end(status < 300 ? 'ok' : `status ${status} from test endpoint`);
  };
}
