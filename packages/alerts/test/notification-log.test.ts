import { describe, expect, it } from 'vitest';
import type { NotificationLogEntry } from '../src/index.js';
import { MemoryStateStore, NotificationLog } from '../src/index.js';
import { T0 } from './helpers.js';

describe('NotificationLog', () => {
  it('keys by receiver and fingerprint, persists every entry, and reads them back after a restart', async () => {
    const store = new MemoryStateStore<NotificationLogEntry>();
    const log = new NotificationLog({ store, now: () => 1_000 });
    await log.set('pd', 'f1', { status: 'firing', startsAt: T0, notifiedAt: 1_000 });
    expect(log.get('pd', 'f1')).toEqual({ status: 'firing', startsAt: T0, notifiedAt: 1_000 });
    expect(log.get('webhook', 'f1')).toBeUndefined();
    expect([...store.entries.keys()]).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.f1$/)]);
    const restarted = new NotificationLog({ store, now: () => 1_000 });
    await restarted.load();
    expect(restarted.get('pd', 'f1')).toEqual({ status: 'firing', startsAt: T0, notifiedAt: 1_000 });
  });

  it('forgets entries after the retention period and collects them from the store', async () => {
    let now = 0;
    const store = new MemoryStateStore<NotificationLogEntry>();
    const log = new NotificationLog({ store, retentionMs: 50, now: () => now });
    for (let i = 0; i < 10; i++) await log.set('pd', `f${i}`, { status: 'resolved', startsAt: T0, notifiedAt: now });
    now = 49;
    expect(log.get('pd', 'f0')).toBeDefined();
    now = 60;
    expect(log.get('pd', 'f0')).toBeUndefined();
    await log.set('pd', 'fresh', { status: 'firing', startsAt: T0, notifiedAt: now });
    expect(await log.gc()).toBe(10);
    expect(log.size).toBe(1);
    expect(store.entries.size).toBe(1);
  });
});
