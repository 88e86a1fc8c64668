import { describe, expect, it } from 'vitest';
import { MemoryNotificationLog, needsNotification, toAlert } from '../src/index.js';
import { gpuAlertEvent, resolvedOf, T0 } from './helpers.js';

const firing = toAlert(gpuAlertEvent());
const resolved = toAlert(resolvedOf(gpuAlertEvent()));
const entry = (status: 'firing' | 'resolved', startsAt = T0) => ({ status, startsAt, notifiedAt: 0 });

describe('needsNotification', () => {
  it('notifies each episode firing once and resolved once', () => {
    expect(needsNotification(undefined, firing)).toBe(true);
    expect(needsNotification(entry('firing'), firing)).toBe(false);
    expect(needsNotification(entry('firing'), resolved)).toBe(true);
    expect(needsNotification(entry('resolved'), resolved)).toBe(false);
    expect(needsNotification(entry('resolved'), firing)).toBe(false); // a replayed trigger must not reopen it
  });

  it('treats a later episode as news and an earlier one as a stale replay', () => {
    expect(needsNotification(entry('resolved', T0 - 1), firing)).toBe(true);
    expect(needsNotification(entry('firing', T0 + 1), resolved)).toBe(false);
  });

  it('sends a resolve it has no record of, so a lost log cannot leave an incident open', () => {
    expect(needsNotification(undefined, resolved)).toBe(true);
  });
});

describe('MemoryNotificationLog', () => {
  it('keys by receiver and fingerprint and forgets entries after the retention period', async () => {
    let now = 1_000;
    const log = new MemoryNotificationLog({ retentionMs: 100, now: () => now });
    await log.set('pd', 'f1', { status: 'firing', startsAt: T0, notifiedAt: now });
    expect(await log.get('pd', 'f1')).toEqual({ status: 'firing', startsAt: T0, notifiedAt: 1_000 });
    expect(await log.get('webhook', 'f1')).toBeUndefined();
    now = 1_099;
    expect(await log.get('pd', 'f1')).toBeDefined();
    now = 1_100;
    expect(await log.get('pd', 'f1')).toBeUndefined();
  });

  it('sweeps expired entries that are never read again', async () => {
    let now = 0;
    const log = new MemoryNotificationLog({ retentionMs: 50, now: () => now });
    for (let i = 0; i < 10; i++) await log.set('pd', `f${i}`, { status: 'resolved', startsAt: T0, notifiedAt: now });
    now = 60;
    await log.set('pd', 'fresh', { status: 'firing', startsAt: T0, notifiedAt: now });
    expect(log.size).toBe(1);
  });
});
