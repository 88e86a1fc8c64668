import { startHttpReceiver, type HttpReceiver } from '@kiln/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver, encodeWebhookPayload, fingerprint, ReceiverConfigError, toAlert } from '../src/index.js';
import { gpuAlertEvent, notifierFor, notifyState, resolvedOf, T0 } from './helpers.js';

let endpoint: HttpReceiver | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

describe('webhook receiver', () => {
  it('posts a firing then a resolved Alertmanager v4 payload', async () => {
    endpoint = await startHttpReceiver();
    const receiver = createReceiver({ type: 'webhook', url: `${endpoint.url}/alerts`, name: 'ops-webhook' });
    const { notifier, outcomes } = notifierFor([receiver]);
    const event = gpuAlertEvent();
    await notifyState(notifier, 'ops-webhook', event);
    await notifyState(notifier, 'ops-webhook', resolvedOf(event, T0 + 90_500));

    expect(endpoint.requests.map((r) => `${r.method} ${r.path} ${r.headers['content-type']}`)).toEqual([
      'POST /alerts application/json',
      'POST /alerts application/json',
    ]);
    const [firing, resolved] = endpoint.requests.map((r) => JSON.parse(r.body) as unknown);
    const alert = {
      status: 'firing',
      labels: event.labels,
      annotations: event.annotations,
      startsAt: '2026-11-26T12:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: event.generatorURL,
      fingerprint: fingerprint(event.labels),
    };
    const envelope = {
      version: '4',
      groupKey:
        '{}:{alertname="GpuTemperatureNearSlowdown", category="thermal", cluster="eus2-ai1", gpu="3", host="r0042-t07", rack="r0042", ' +
        'severity="critical", uuid="GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002"}',
      truncatedAlerts: 0,
      receiver: 'ops-webhook',
      groupLabels: event.labels,
      commonLabels: event.labels,
      commonAnnotations: event.annotations,
      externalURL: 'http://127.0.0.1:9093',
    };
    expect(firing).toEqual({
      ...envelope,
      status: 'firing',
      notification_reason: 'first notification',
      alerts: [alert],
    });
    expect(resolved).toEqual({
      ...envelope,
      status: 'resolved',
      notification_reason: 'all alerts resolved',
      alerts: [{ ...alert, status: 'resolved', endsAt: '2026-11-26T12:01:30.5Z' }],
    });
    expect(outcomes.map((o) => [o.result, o.status, o.attempts, o.httpStatus])).toEqual([
      ['delivered', 'firing', 1, 200],
      ['delivered', 'resolved', 1, 200],
    ]);
  });

  it('puts only shared labels and annotations in the common sets', () => {
    const a = toAlert(gpuAlertEvent());
    const b = toAlert(
      gpuAlertEvent({
        labels: { ...a.labels, gpu: '5', uuid: 'GPU-5' },
        annotations: { ...a.annotations, summary: 'other' },
      }),
    );
    const notification = {
      receiver: 'r',
      groupKey: 'k',
      groupLabels: { rack: 'r0042' },
      status: 'firing',
      alerts: [a, b],
      updates: [b],
      reason: 'new alerts added',
      externalURL: '',
    } as const;
    const payload = encodeWebhookPayload(notification);
    expect(payload.commonLabels).toEqual({
      alertname: 'GpuTemperatureNearSlowdown',
      severity: 'critical',
      category: 'thermal',
      cluster: 'eus2-ai1',
      rack: 'r0042',
      host: 'r0042-t07',
    });
    expect(payload.commonAnnotations).toEqual({ description: a.annotations['description'] });
    expect(payload.alerts.map((x) => x.fingerprint)).toEqual([a.fingerprint, b.fingerprint]);
    const truncated = encodeWebhookPayload(notification, 1);
    expect(truncated).toMatchObject({
      truncatedAlerts: 1,
      commonLabels: payload.commonLabels,
      notification_reason: 'new alerts added',
    });
    expect(truncated.alerts.map((x) => x.fingerprint)).toEqual([a.fingerprint]);
  });

  it('rejects a bad URL and names receivers without revealing the URL', () => {
    expect(() => createReceiver({ type: 'webhook', url: 'ftp://example.com/x' })).toThrow(ReceiverConfigError);
    expect(() => createReceiver({ type: 'webhook', url: 'not a url' })).toThrow(
      'invalid webhook receiver: url: expected an http or https URL',
    );
    const name = createReceiver({ type: 'webhook', url: 'https://user:secret@hooks.example.com/T1' }).name;
    expect(name).toMatch(/^webhook-[0-9a-f]{8}$/);
    expect(createReceiver({ type: 'webhook', url: 'https://user:secret@hooks.example.com/T1' }).name).toBe(name);
    expect(createReceiver({ type: 'webhook', url: 'https://hooks.example.com/T2' }).name).not.toBe(name);
  });
});
