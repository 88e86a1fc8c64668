import { startHttpReceiver, type HttpReceiver } from '@kiln/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../src/index.js';
import { createReceiver, encodeSlackMessage, FLAPPING_ANNOTATION, ReceiverConfigError, toAlert } from '../src/index.js';
import { answerWith, notifierFor, notifyState, onGpu, resolvedOf } from './helpers.js';

let endpoint: HttpReceiver | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

const notification = (alerts: ReturnType<typeof toAlert>[], status: 'firing' | 'resolved' = 'firing') => ({
  receiver: 'chat',
  groupKey: 'k',
  groupLabels: { alertname: 'GpuTemperatureNearSlowdown', rack: 'r0042' },
  status,
  alerts,
  updates: alerts,
  reason: 'first notification' as const,
  externalURL: 'http://alerter.example:9093',
});

describe('Slack receiver', () => {
  it('titles the message like Alertmanager and lists firing then resolved alerts, escaping mrkdwn', () => {
    const hot = toAlert(onGpu('1', { annotations: { summary: 'GPU 1 <hot> & rising', description: 'd' } }));
    const flapping = toAlert(
      onGpu('2', { annotations: { summary: 'GPU 2', description: 'd', [FLAPPING_ANNOTATION]: 'true' } }),
    );
    const cleared = toAlert(resolvedOf(onGpu('0')));
    const msg = encodeSlackMessage(notification([cleared, hot, flapping]), { channel: '#gpu-fleet' });
    expect(msg.text).toBe('[FIRING:2] GpuTemperatureNearSlowdown rack=r0042');
    expect(msg.channel).toBe('#gpu-fleet');
    const lines = (msg.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(lines).toEqual([
      ':red_circle: GPU 1 &lt;hot&gt; &amp; rising (r0042-t07 gpu 1) <http://grafana.example/d/gpu?var-host=r0042-t07|source>',
      ':warning: flapping GPU 2 (r0042-t07 gpu 2) <http://grafana.example/d/gpu?var-host=r0042-t07|source>',
      ':white_check_mark: GPU 3 on r0042-t07 is at 84 °C (r0042-t07 gpu 0) <http://grafana.example/d/gpu?var-host=r0042-t07|source>',
    ]);
    expect(msg.blocks[2]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<http://alerter.example:9093|Kiln alerter> · first notification' }],
    });
  });

  it('summarises a rack-wide incident after twenty alerts and stays within Slack limits', () => {
    const many = Array.from({ length: 72 }, (_, g) => toAlert(onGpu(String(g % 8), { startsAt: g })));
    const msg = encodeSlackMessage(notification(many));
    const listed = (msg.blocks[1] as { text: { text: string } }).text.text;
    expect(listed.split('\n')).toHaveLength(21);
    expect(listed).toMatch(/…and 52 more$/);
    expect(listed.length).toBeLessThanOrEqual(3000);
  });

  it('retries a 429 after its Retry-After, at most one message a second, and by default sends no resolutions', async () => {
    endpoint = await startHttpReceiver(answerWith([429, 200], { 429: { 'retry-after': '1' } }));
    const slack = createReceiver({ type: 'slack', name: 'chat', url: endpoint.url });
    expect(slack).toMatchObject({ sendResolved: false, rateLimit: { perMinute: 60, burst: 1 } });
    const { notifier, outcomes } = notifierFor([slack]);
    await notifyState(notifier, 'chat', onGpu('0'));
    await notifyState(notifier, 'chat', resolvedOf(onGpu('0')));
    expect(outcomes.map((o) => o.result)).toEqual(['retrying', 'delivered']);
    expect(endpoint.requests[1]!.at - endpoint.requests[0]!.at).toBeGreaterThanOrEqual(990);
    expect((JSON.parse(endpoint.requests[1]!.body) as SlackMessage).text).toMatch(
      /^\[FIRING:1\] GpuTemperatureNearSlowdown severity=critical/,
    );
    expect(() => createReceiver({ type: 'slack', url: 'hooks.slack.com' })).toThrow(ReceiverConfigError);
  });
});
