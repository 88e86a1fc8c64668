import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { alertSubject, DLQ_STREAM } from '@kiln/nats';
import { startTestNatsServer, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertLabels, Scenario } from './scenario.js';

let nats: TestNatsServer;
let nc: NatsConnection;
let running: Scenario | undefined;
beforeAll(async () => {
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});
afterAll(async () => {
  await nc?.close();
  await nats?.dispose();
});
const start = async (...args: Parameters<typeof Scenario.start> extends [unknown, ...infer R] ? R : never) =>
  (running = await Scenario.start(nc, ...args));

describe('alerter scenarios against real receivers', () => {
  it('with PagerDuty incident: group, keeps one PagerDuty alert per group, updated while any fires, resolved with the last', async () => {
    const s = await start('pd-group', {
      receivers: { pd: { type: 'pagerduty', answers: '202', config: { incident: 'group' } } },
      route: { receiver: 'pd', group_by: ['alertname', 'rack'], group_wait: '300ms', group_interval: '1s' },
    });
    await s.play(`
      0.0 +GpuHot{r1,0}
      0.1 +GpuHot{r1,1}
      0.1 +GpuHot{r2,0}
      1.5 -GpuHot{r1,0}
      3.5 -GpuHot{r1,1}
    `);
    await s.until(5.5);
    s.expect(
      'pd',
      `
      0.3..1.0  trigger group{alertname=GpuHot,rack=r1} firing=2
      0.4..1.1  trigger group{alertname=GpuHot,rack=r2} firing=1
      1.5..2.6  trigger group{alertname=GpuHot,rack=r1} firing=1
      3.5..4.6  resolve group{alertname=GpuHot,rack=r1}
    `,
    );
    const first = s.body('pd', 0) as {
      dedup_key: string;
      payload: { summary: string; severity: string; group: string };
    };
    expect(first.payload).toMatchObject({ summary: '[FIRING:2] GpuHot rack=r1', severity: 'critical', group: 'r1' });
    expect((s.body('pd', 3) as { dedup_key: string }).dedup_key).toBe(first.dedup_key);
  });

  it('groups by rack, pages a GPU joining a paged rack promptly, batches the resolution, one PagerDuty event per alert', async () => {
    const s = await start('grouping', {
      receivers: { hook: { type: 'webhook' }, pd: { type: 'pagerduty', answers: '202' } },
      route: {
        receiver: 'hook',
        group_by: ['alertname', 'rack'],
        group_wait: '300ms',
        group_interval: '2s',
        routes: [{ matchers: ['severity="critical"'], receiver: 'pd', continue: true }, { receiver: 'hook' }],
      },
    });
    await s.play(`
      0.0 +GpuHot{r1,0}
      0.1 +GpuHot{r1,1}
      0.1 +GpuHot{r2,0}:warning
      1.0 +GpuHot{r1,2}
      1.6 -GpuHot{r1,0}
    `);
    await s.until(4.6);
    s.expect(
      'hook',
      `
      0.3..1.0  firing +GpuHot{r1,0} +GpuHot{r1,1}
      0.4..1.1  firing +GpuHot{r2,0}:warning
      # GpuHot{r1,2} joins a group that already paged: group_wait, not group_interval
      1.3..2.0  firing +GpuHot{r1,0} +GpuHot{r1,1} +GpuHot{r1,2}
      # the resolution waits for the group_interval tick after that flush
      3.3..4.3  firing +GpuHot{r1,1} +GpuHot{r1,2} -GpuHot{r1,0}
    `,
    );
    s.expect(
      'pd',
      `
      0.3..1.0  trigger GpuHot{r1,0} → 202
      0.3..1.0  trigger GpuHot{r1,1} → 202
      1.3..2.0  trigger GpuHot{r1,2} → 202
      3.3..4.3  resolve GpuHot{r1,0} → 202
    `,
    );
    expect(s.body('hook', 2)).toMatchObject({
      version: '4',
      receiver: 'hook',
      groupKey: '{}/{}:{alertname="GpuHot", rack="r1"}',
      groupLabels: { alertname: 'GpuHot', rack: 'r1' },
      commonLabels: { alertname: 'GpuHot', severity: 'critical', category: 'thermal', cluster: 'eus2-ai1', rack: 'r1' },
      notification_reason: 'new alerts added',
    });
    const trigger = s.body('pd', 0) as {
      dedup_key: string;
      routing_key: string;
      payload: { severity: string; summary: string };
    };
    const resolve = s.body('pd', 3) as { dedup_key: string; event_action: string };
    expect(trigger).toMatchObject({
      routing_key: 'key-pd',
      payload: { severity: 'critical', summary: 'GpuHot{r1,0} summary' },
    });
    expect(resolve.dedup_key).toBe(trigger.dedup_key);
  });

  it('retries 500s, waits out a 429 Retry-After, lets a slow receiver answer within its timeout, and a dead one holds up nobody', async () => {
    const s = await start('failures', {
      receivers: {
        flaky: { type: 'webhook', answers: '500 500 200' },
        limited: { type: 'slack', answers: '429/1 200' },
        slow: { type: 'webhook', answers: 'slow/700' },
        dead: { type: 'webhook', answers: 'never' },
      },
      route: {
        receiver: 'flaky',
        group_by: ['alertname', 'rack'],
        group_wait: '200ms',
        routes: ['flaky', 'limited', 'slow', 'dead'].map((receiver) => ({ receiver, continue: true })),
      },
      alerter: { timeout_ms: 1_000, retry_for_ms: 3_000 },
    });
    await s.play('0 +GpuHot{r1,0}');
    await s.until(2.2);
    s.expect(
      'flaky',
      `
      0.2..0.6  firing +GpuHot{r1,0} → 500
      0.3..0.9  firing +GpuHot{r1,0} → 500
      0.4..1.4  firing +GpuHot{r1,0} → 200
    `,
    );
    s.expect(
      'limited',
      `
      0.2..0.6  [FIRING:1] GpuHot rack=r1 → 429/1
      1.2..1.8  [FIRING:1] GpuHot rack=r1 → 200
    `,
    );
    s.expect('slow', '0.2..0.6  firing +GpuHot{r1,0} → slow/700');
    expect(s.alerter.stats.delivered).toBe(3);
    await s.until(4.5);
    const dead = s.received('dead');
    expect(dead.length).toBeGreaterThanOrEqual(2);
    expect(dead.every((r) => r.what === 'firing +GpuHot{r1,0}')).toBe(true);
    expect(dead[1]!.at - dead[0]!.at).toBeGreaterThanOrEqual(1); // each attempt waited out the 1 s request timeout
    expect(s.alerter.stats.failed).toBe(1);
    // History speaks the alerts table's words, so the dashboards' `event IN ('notified', 'notify_failed')` finds it.
    const outcomes = s.history.filter((h) => h.receiver !== undefined).map((h) => `${h.receiver} ${h.event}`);
    expect(outcomes).toEqual(
      expect.arrayContaining(['flaky notified', 'limited notified', 'slow notified', 'dead notify_failed']),
    );
    expect(outcomes).toHaveLength(4);
  });

  it("mutes a rack's per-GPU thermal pages while its cooling alert fires, with no inhibit_rules written, and pages them once it resolves", async () => {
    const s = await start('inhibition', {
      receivers: { hook: { type: 'webhook' } },
      route: { receiver: 'hook', group_by: ['alertname', 'rack'], group_wait: '300ms', group_interval: '1s' },
    });
    await s.play(`
      0.0 +GpuHot{r1,0}
      0.0 +GpuHot{r2,0}
      0.1 +RackCoolingFailure{r1}
      1.5 -RackCoolingFailure{r1}
    `);
    await s.until(3.3);
    s.expect(
      'hook',
      `
      0.3..0.9  firing +GpuHot{r2,0}
      0.4..1.0  firing +RackCoolingFailure{r1}
      1.8..2.3  firing +GpuHot{r1,0}
      2.3..3.2  resolved -RackCoolingFailure{r1}
    `,
    );
  });

  it('pages all four GPUs of a tray failing the same way once, for the tray; without the built-in rules, once per GPU', async () => {
    const timeline = `
      0.0 +GpuHot{r1,0}
      0.0 +GpuHot{r1,1}
      0.0 +GpuHot{r1,2}
      0.0 +GpuHot{r1,3}
      0.0 +GpuHot{r1,t0}
    `;
    const route = {
      receiver: 'hook',
      group_by: ['alertname', 'rack', 'host', 'gpu'],
      group_wait: '300ms',
      group_interval: '1s',
    };
    const s = await start('tray', { receivers: { hook: { type: 'webhook' } }, route });
    await s.play(timeline);
    await s.until(1.5);
    s.expect(
      'hook',
      `
      0.3..0.9  firing +GpuHot{r1,t0}
    `,
    );
    await s.stop();
    running = undefined;
    const off = await start('tray-off', {
      receivers: { hook: { type: 'webhook' } },
      route,
      alerter: { default_inhibitions: false },
    });
    await off.play(timeline);
    await off.until(1.5);
    expect(
      off
        .received('hook')
        .map((r) => r.what)
        .sort(),
    ).toEqual([
      'firing +GpuHot{r1,0}',
      'firing +GpuHot{r1,1}',
      'firing +GpuHot{r1,2}',
      'firing +GpuHot{r1,3}',
      'firing +GpuHot{r1,t0}',
    ]);
  });

  it('takes a firing alert re-detected with a later start (its detector restarted) for the same episode: no second page', async () => {
    const s = await start('redetected', {
      receivers: { hook: { type: 'webhook' }, pd: { type: 'pagerduty', answers: '202' } },
      route: {
        receiver: 'hook',
        group_by: ['alertname', 'rack'],
        group_wait: '200ms',
        group_interval: '1s',
        routes: [{ receiver: 'pd', continue: true }, { receiver: 'hook' }],
      },
    });
    await s.play(`
      0.0 +GpuHot{r1,0}
      1.2 +GpuHot{r1,0}
      2.5 -GpuHot{r1,0}
    `);
    await s.until(4);
    s.expect(
      'hook',
      `
      0.2..0.8  firing +GpuHot{r1,0}
      2.5..3.8  resolved -GpuHot{r1,0}
    `,
    );
    s.expect(
      'pd',
      `
      0.2..0.8  trigger GpuHot{r1,0}
      2.5..3.8  resolve GpuHot{r1,0}
    `,
    );
    // Receivers are told of the episode they heard fire.
    const resolved = s.body('hook', 1) as { alerts: { startsAt: string }[] };
    const fired = s.body('hook', 0) as { alerts: { startsAt: string }[] };
    expect(resolved.alerts[0]!.startsAt).toBe(fired.alerts[0]!.startsAt);
  });

  it('turns an alert that keeps toggling into one flapping page and one resolution', async () => {
    const s = await start('flapping', {
      receivers: { hook: { type: 'webhook' }, pd: { type: 'pagerduty', answers: '202' } },
      route: {
        receiver: 'hook',
        group_by: ['alertname', 'rack'],
        group_wait: '200ms',
        group_interval: '1s',
        routes: [{ receiver: 'pd', continue: true }, { receiver: 'hook' }],
      },
      alerter: { flap_threshold: 3, flap_window_ms: 60_000, flap_quiet_ms: 1_500 },
    });
    await s.play(`
      0.0 +GpuHot{r1,0}
      0.1 -GpuHot{r1,0}
      0.4 +GpuHot{r1,0}
      0.5 -GpuHot{r1,0}
      0.8 +GpuHot{r1,0}
      0.9 -GpuHot{r1,0}
      1.2 +GpuHot{r1,0}
      1.3 -GpuHot{r1,0}
      1.6 +GpuHot{r1,0}
      1.7 -GpuHot{r1,0}
    `);
    await s.until(4.9);
    // The first two episodes clear within group_wait and page nobody; the third starts the flap.
    s.expect(
      'hook',
      `
      0.9..1.5  firing +GpuHot{r1,0}~
      3.9..4.8  resolved -GpuHot{r1,0}
    `,
    );
    s.expect(
      'pd',
      `
      0.9..1.5  trigger GpuHot{r1,0}~
      3.9..4.8  resolve GpuHot{r1,0}
    `,
    );
    expect(s.alerter.stats.flapping).toBe(1);
  });

  it('pages an incident it only learns of after it ended (a replayed backlog), then resolves it; a blip it ignores', async () => {
    const s = await start('backlog', {
      receivers: { pd: { type: 'pagerduty', answers: '202' } },
      route: { receiver: 'pd', group_by: ['alertname', 'rack'], group_wait: '300ms', group_interval: '1s' },
    });
    const ago = Date.now() - 3_600_000;
    const episode = (notation: string, minutes: number) => {
      const firing = {
        labels: alertLabels(notation),
        annotations: { summary: `${notation} summary`, description: 'replayed' },
        status: 'firing' as const,
        startsAt: ago,
      };
      return [firing, { ...firing, status: 'resolved' as const, endsAt: ago + minutes * 60_000 }];
    };
    // Four minutes above the slowdown threshold an hour ago, replayed in a moment; and a blip shorter than group_wait.
    for (const e of [...episode('GpuHot{r1,0}', 4), ...episode('GpuHot{r1,1}', 0.001)]) await s.publish(e);
    await s.until(2.0);
    s.expect(
      'pd',
      `
      0.2..0.9  trigger GpuHot{r1,0} → 202
      1.2..1.9  resolve GpuHot{r1,0} → 202
    `,
    );
  });

  it('dead-letters an event that breaks the alert contract and goes on with the next', async () => {
    const s = await start('invalid', {
      receivers: { hook: { type: 'webhook' } },
      route: { receiver: 'hook', group_wait: '100ms' },
    });
    const bad = JSON.stringify({ labels: { alertname: 'NoContract' }, status: 'firing', startsAt: Date.now() });
    await jetstream(nc).publish(alertSubject('eus2-ai1', 'r1'), bad);
    await s.play('0 +GpuHot{r1,0}');
    await waitUntil('the valid event to page', () => s.received('hook').length === 1, 5_000, 20);
    expect(s.alerter.stats.invalid).toBe(1);
    const dead = await (await jetstreamManager(nc)).streams.getMessage(DLQ_STREAM, {
      last_by_subj: 'kiln.v1.dlq.invalid_alert',
    });
    expect(dead?.string()).toBe(bad);
  });
});
