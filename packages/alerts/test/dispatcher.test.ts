import { describe, expect, it } from 'vitest';
import {
  AlertStore,
  buildInhibitRules,
  buildRouteTree,
  Dispatcher,
  Inhibitor,
  NotificationLog,
  Notifier,
  parsePostableSilence,
  Silences,
} from '../src/index.js';
import { gpuAlertEvent, onGpu, resolvedOf, T0 } from './helpers.js';

/** A dispatcher on a fake wall clock whose only receiver is never reached (group_wait is an hour). */
function setup() {
  let now = T0;
  const clock = () => now;
  const alerts = new AlertStore({ now: clock, retentionMs: 60_000 });
  const silences = new Silences({ now: clock, retentionMs: 60_000 });
  const log = new NotificationLog({ now: clock, retentionMs: 60_000 });
  const notifier = new Notifier({
    receivers: [{ name: 'hook', type: 'webhook', send: async () => ({ ok: true, httpStatus: 200 }) }],
    log,
    now: clock,
  });
  const route = buildRouteTree({ receiver: 'hook', group_by: ['rack'], group_wait: 3_600_000 }, ['hook']);
  const inhibitor = new Inhibitor(
    buildInhibitRules([
      { source_matchers: ['alertname="RackCoolingFailure"'], target_matchers: ['gpu=~".+"'], equal: ['rack'] },
    ]),
  );
  const dispatcher = new Dispatcher({ route, inhibitor, silences, alerts, notifier, now: clock });
  dispatcher.start();
  return { dispatcher, alerts, silences, log, advance: (ms: number) => (now += ms), now: clock };
}

describe('Dispatcher', () => {
  it('tells the API who an alert goes to, its group, and what mutes it', async () => {
    const { dispatcher, silences } = setup();
    const gpu = (await dispatcher.ingest(onGpu('1'))).alert;
    const cooling = {
      ...gpuAlertEvent(),
      labels: {
        alertname: 'RackCoolingFailure',
        severity: 'critical',
        category: 'thermal',
        cluster: 'eus2-ai1',
        rack: 'r0042',
      },
    };
    const source = (await dispatcher.ingest(cooling)).alert;
    expect(dispatcher.receiversOf(gpu.labels)).toEqual(['hook']);
    expect(dispatcher.activeGroups().map((g) => [g.key, g.members.size])).toEqual([['{}:{rack="r0042"}', 2]]);
    expect(dispatcher.muting(gpu.fingerprint, gpu.labels)).toEqual({
      state: 'suppressed',
      silencedBy: [],
      inhibitedBy: [source.fingerprint],
    });
    const posted = parsePostableSilence(
      {
        matchers: [{ name: 'gpu', value: '1', isRegex: false }],
        startsAt: new Date(T0).toISOString(),
        endsAt: new Date(T0 + 60_000).toISOString(),
        createdBy: 'me',
        comment: '',
      },
      T0,
    );
    if (!posted.ok) throw new Error(posted.errors.join());
    const silence = await silences.upsert(posted.silence);
    dispatcher.silenceChanged(silence);
    await dispatcher.ingest(resolvedOf(cooling));
    expect(dispatcher.muting(gpu.fingerprint, gpu.labels)).toEqual({
      state: 'suppressed',
      silencedBy: [silence.id],
      inhibitedBy: [],
    });
    await dispatcher.stop();
  });

  it('forgets resolved alerts, expired silences and log entries once they are past retention', async () => {
    const { dispatcher, alerts, silences, log, advance, now } = setup();
    const { fingerprint: fp } = await dispatcher.ingest(gpuAlertEvent());
    await dispatcher.ingest(resolvedOf(gpuAlertEvent()));
    await log.set('hook', fp, { status: 'resolved', startsAt: T0, notifiedAt: now() });
    const posted = parsePostableSilence(
      {
        matchers: [{ name: 'rack', value: 'r0042', isRegex: false }],
        startsAt: new Date(T0).toISOString(),
        endsAt: new Date(T0 + 1_000).toISOString(),
        createdBy: 'me',
        comment: '',
      },
      T0,
    );
    if (!posted.ok) throw new Error(posted.errors.join());
    await silences.upsert(posted.silence);
    advance(59_000);
    await dispatcher.maintain();
    expect([alerts.get(fp)?.status, silences.list().length, log.size]).toEqual(['resolved', 1, 1]);
    advance(2_000);
    await dispatcher.maintain();
    expect([alerts.get(fp), silences.list().length, log.size]).toEqual([undefined, 0, 0]);
    expect(dispatcher.activeGroups()).toEqual([]);
    await dispatcher.stop();
  });
});
