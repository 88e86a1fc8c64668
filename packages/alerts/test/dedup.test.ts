import { describe, expect, it } from 'vitest';
import type { Receiver } from '../src/index.js';
import { decideNotification, NotificationLog, toAlert } from '../src/index.js';
import { onGpu, resolvedOf, snapshotOf } from './helpers.js';

const HOUR = 3_600_000;
const receiver = (sendResolved = true): Receiver => ({
  name: 'r',
  type: 'webhook',
  sendResolved,
  send: async () => ({ ok: true, httpStatus: 200 }),
});

describe('decideNotification', () => {
  it('says why: first notification, new alerts added, some and all alerts resolved, repeat interval elapsed', async () => {
    let now = 0;
    const log = new NotificationLog({ now: () => now });
    const decide = (...events: Parameters<typeof snapshotOf>) =>
      decideNotification(receiver(), snapshotOf(...events), log, now, HOUR, '');
    const deliver = async (...events: Parameters<typeof snapshotOf>) => {
      const d = decide(...events);
      for (const a of d?.record ?? [])
        await log.set('r', a.fingerprint, { status: a.status, startsAt: a.startsAt, notifiedAt: now });
      return (
        d?.notification && [
          d.notification.reason,
          d.notification.updates.map((u) => `${u.status}:${u.labels['gpu']}`).join(' '),
        ]
      );
    };
    expect(await deliver(onGpu('0'))).toEqual(['first notification', 'firing:0']);
    expect(await deliver(onGpu('0'))).toBeUndefined();
    expect(await deliver(onGpu('0'), onGpu('1'))).toEqual(['new alerts added', 'firing:1']);
    expect(await deliver(resolvedOf(onGpu('0')), onGpu('1'))).toEqual(['some alerts resolved', 'resolved:0']);
    now = HOUR - 1;
    expect(await deliver(onGpu('1'))).toBeUndefined();
    now = HOUR;
    expect(await deliver(onGpu('1'))).toEqual(['repeat interval elapsed', 'firing:1']);
    expect(await deliver(resolvedOf(onGpu('1')))).toEqual(['all alerts resolved', 'resolved:1']);
  });

  it('lists the whole group in alerts, and a resolution only to a receiver that heard the alert fire', async () => {
    const log = new NotificationLog({ now: () => 0 });
    await log.set('r', toAlert(onGpu('0')).fingerprint, {
      status: 'firing',
      startsAt: onGpu('0').startsAt,
      notifiedAt: 0,
    });
    const d = decideNotification(
      receiver(),
      snapshotOf(onGpu('0'), onGpu('1'), resolvedOf(onGpu('2'))),
      log,
      0,
      HOUR,
      '',
    );
    expect(d!.notification!.alerts.map((a) => a.labels['gpu'])).toEqual(['0', '1']);
    expect(d!.notification!.updates.map((a) => a.labels['gpu'])).toEqual(['1']);
    // The resolution of a muted alert still reaches the receiver that heard it fire, closing its incident.
    expect(
      decideNotification(receiver(), snapshotOf(resolvedOf(onGpu('0'))), log, 0, HOUR, '')!.notification!.reason,
    ).toBe('all alerts resolved');
  });

  it('with send_resolved off, sends no resolution but records it, so it is not news again', async () => {
    const log = new NotificationLog({ now: () => 0 });
    await log.set('r', toAlert(onGpu('0')).fingerprint, {
      status: 'firing',
      startsAt: onGpu('0').startsAt,
      notifiedAt: 0,
    });
    const d = decideNotification(receiver(false), snapshotOf(resolvedOf(onGpu('0'))), log, 0, HOUR, '');
    expect(d).toEqual({ notification: undefined, record: [toAlert(resolvedOf(onGpu('0')))] });
  });
});
