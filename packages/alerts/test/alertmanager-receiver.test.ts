import { describe, expect, it } from 'vitest';
import { createReceiver, encodePostableAlerts, ReceiverConfigError, toAlert } from '../src/index.js';
import { gpuAlertEvent, resolvedOf, T0 } from './helpers.js';

describe('Alertmanager forwarding receiver', () => {
  it('posts firing alerts valid for four resend intervals and resolved ones ending no later than now', () => {
    const firing = toAlert(gpuAlertEvent());
    const resolved = toAlert(
      resolvedOf(gpuAlertEvent({ labels: { ...gpuAlertEvent().labels, gpu: '4' } }), T0 + 90_000),
    );
    const notification = {
      receiver: 'am',
      groupKey: 'k',
      groupLabels: {},
      status: 'firing' as const,
      alerts: [firing, resolved],
      updates: [],
      reason: 'first notification' as const,
      externalURL: '',
    };
    expect(encodePostableAlerts(notification, T0 + 60_000, 60_000)).toEqual([
      {
        labels: firing.labels,
        annotations: firing.annotations,
        startsAt: '2026-11-26T12:00:00Z',
        endsAt: '2026-11-26T12:05:00Z',
        generatorURL: firing.generatorURL,
      },
      {
        labels: resolved.labels,
        annotations: resolved.annotations,
        startsAt: '2026-11-26T12:00:00Z',
        endsAt: '2026-11-26T12:01:00Z',
        generatorURL: resolved.generatorURL,
      },
    ]);
  });

  it('re-sends firing groups every resend interval and checks its config', () => {
    const am = createReceiver({ type: 'alertmanager', url: 'http://am.example:9093/', resend_interval_ms: 30_000 });
    expect(am).toMatchObject({ type: 'alertmanager', sendResolved: true, resendIntervalMs: 30_000 });
    expect(am.name).toMatch(/^alertmanager-[0-9a-f]{8}$/);
    expect(() => createReceiver({ type: 'alertmanager', url: 'http://am', resend_interval_ms: 5 })).toThrow(
      ReceiverConfigError,
    );
  });
});
