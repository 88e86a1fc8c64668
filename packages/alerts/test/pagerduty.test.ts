import { startHttpReceiver, type HttpReceiver } from '@kiln/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { PagerDutyTriggerEvent } from '../src/index.js';
import {
  createReceiver,
  encodePagerDutyEvent,
  FLAPPING_ANNOTATION,
  PAGERDUTY_SUMMARY_MAX_CHARS,
  pagerDutyDedupKey,
  toAlert,
} from '../src/index.js';
import { answerWith, gpuAlertEvent, notifierFor, notifyState, onGpu, resolvedOf } from './helpers.js';

let endpoint: HttpReceiver | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000042';

describe('PagerDuty receiver', () => {
  it('sends trigger then resolve with the same dedup_key and a summary within 1024 characters', async () => {
    endpoint = await startHttpReceiver(answerWith([202]));
    const receiver = createReceiver({
      type: 'pagerduty',
      name: 'pd',
      routing_key: ROUTING_KEY,
      url: `${endpoint.url}/v2/enqueue`,
    });
    const { notifier, outcomes } = notifierFor([receiver]);
    const longSummary = `GPU 3 on r0042-t07 is at 91 °C ${'and climbing '.repeat(200)}`;
    const event = gpuAlertEvent({ annotations: { summary: longSummary, description: 'temp_c=91' } });
    await notifyState(notifier, 'pd', event);
    await notifyState(notifier, 'pd', resolvedOf(event));

    expect(endpoint.requests.map((r) => r.path)).toEqual(['/v2/enqueue', '/v2/enqueue']);
    const [trigger, resolve] = endpoint.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const dedupKey = pagerDutyDedupKey(toAlert(event).fingerprint);
    expect(trigger).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: dedupKey,
      client: 'Kiln',
      client_url: 'http://127.0.0.1:9093',
      payload: {
        summary: expect.any(String),
        source: 'r0042-t07',
        severity: 'critical',
        timestamp: '2026-11-26T12:00:00Z',
        component: 'gpu3',
        group: 'r0042',
        class: 'thermal',
        custom_details: {
          labels: event.labels,
          annotations: event.annotations,
          fingerprint: toAlert(event).fingerprint,
        },
      },
      links: [{ href: event.generatorURL, text: 'Source' }],
    });
    const summary = (trigger as unknown as PagerDutyTriggerEvent).payload.summary;
    expect(summary.length).toBeLessThanOrEqual(PAGERDUTY_SUMMARY_MAX_CHARS);
    expect(summary.length).toBeGreaterThan(1000);
    expect(summary).toMatch(/^GPU 3 on r0042-t07 is at 91 °C and climbing .*…$/);
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: dedupKey });
    expect(dedupKey.length).toBeLessThanOrEqual(255);
    expect(outcomes.map((o) => [o.result, o.status, o.httpStatus])).toEqual([
      ['delivered', 'firing', 202],
      ['delivered', 'resolved', 202],
    ]);
  });

  it('sends an event only for the alerts whose state is news, so a GPU joining a paged rack group is one event', async () => {
    endpoint = await startHttpReceiver(answerWith([202]));
    const receiver = createReceiver({ type: 'pagerduty', name: 'pd', routing_key: ROUTING_KEY, url: endpoint.url });
    const { notifier } = notifierFor([receiver]);
    await notifyState(notifier, 'pd', onGpu('0'), onGpu('1'));
    await notifyState(notifier, 'pd', onGpu('0'), onGpu('1'), onGpu('2'));
    await notifyState(notifier, 'pd', resolvedOf(onGpu('0')), onGpu('1'), onGpu('2'));
    const events = endpoint.requests.map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string });
    const keyOf = (gpu: string) => pagerDutyDedupKey(toAlert(onGpu(gpu)).fingerprint);
    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', keyOf('0')],
      ['trigger', keyOf('1')],
      ['trigger', keyOf('2')],
      ['resolve', keyOf('0')],
    ]);
  });

  it('marks a flapping alert in the summary and limits events per routing key, shared by receivers of one key', () => {
    const flapping = toAlert(
      gpuAlertEvent({ annotations: { summary: 'GPU 3 hot', description: 'd', [FLAPPING_ANNOTATION]: 'true' } }),
    );
    expect((encodePagerDutyEvent(flapping, ROUTING_KEY, '') as PagerDutyTriggerEvent).payload.summary).toBe(
      '[flapping] GPU 3 hot',
    );
    const a = createReceiver({ type: 'pagerduty', name: 'a', routing_key: ROUTING_KEY });
    const b = createReceiver({ type: 'pagerduty', name: 'b', routing_key: ROUTING_KEY });
    expect(a.rateLimit).toEqual({ perMinute: 100, burst: 20 });
    expect(a.rateLimitKey).toBe(b.rateLimitKey);
    expect(a.rateLimitKey).not.toContain(ROUTING_KEY);
  });

  it('uses the rack as source for rack-wide alerts and maps severities', () => {
    const rackWide = gpuAlertEvent({
      labels: {
        alertname: 'RackCoolingFailure',
        severity: 'warning',
        category: 'availability',
        cluster: 'c1',
        rack: 'r7',
      },
    });
    const event = encodePagerDutyEvent(toAlert(rackWide), ROUTING_KEY, '') as PagerDutyTriggerEvent;
    expect(event.payload).toMatchObject({ source: 'r7', severity: 'warning', group: 'r7', class: 'availability' });
    expect(event.payload).not.toHaveProperty('component');
    expect(event).not.toHaveProperty('client_url');
    const info = gpuAlertEvent({ labels: { ...rackWide.labels, severity: 'info' } });
    expect((encodePagerDutyEvent(toAlert(info), ROUTING_KEY, '') as PagerDutyTriggerEvent).payload.severity).toBe(
      'info',
    );
  });

  it('never cuts a surrogate pair when truncating the summary', () => {
    const summary = `${'x'.repeat(PAGERDUTY_SUMMARY_MAX_CHARS - 2)}🔥🔥🔥`;
    const event = encodePagerDutyEvent(
      toAlert(gpuAlertEvent({ annotations: { summary, description: 'd' } })),
      ROUTING_KEY,
      '',
    ) as PagerDutyTriggerEvent;
    expect(event.payload.summary).toBe(`${'x'.repeat(PAGERDUTY_SUMMARY_MAX_CHARS - 2)}…`);
  });

  it('validates its config and keeps the routing key out of its name', () => {
    expect(() => createReceiver({ type: 'pagerduty', routing_key: '' })).toThrow(
      'invalid pagerduty receiver: routing_key: expected the integration key',
    );
    const r = createReceiver({ type: 'pagerduty', routing_key: ROUTING_KEY });
    expect(r.type).toBe('pagerduty');
    expect(r.name).not.toContain(ROUTING_KEY);
  });
});
