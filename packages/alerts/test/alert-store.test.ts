import { describe, expect, it } from 'vitest';
import type { StoredAlert } from '../src/index.js';
import { AlertStore, MemoryStateStore } from '../src/index.js';
import { gpuAlertEvent, resolvedOf, T0 } from './helpers.js';

const at = (minutes: number) => T0 + minutes * 60_000;
const episode = (startMin: number) => gpuAlertEvent({ startsAt: at(startMin) });

function setup(flap = { threshold: 3, windowMs: 600_000, quietMs: 1_000 }) {
  let now = T0;
  const state = new MemoryStateStore<StoredAlert>();
  const store = new AlertStore({ store: state, flap, now: () => now, retentionMs: 3_600_000 });
  return { store, state, advance: (ms: number) => (now += ms) };
}

describe('AlertStore', () => {
  it('applies episodes: fire, redeliver, resolve, replay of the old episode, a new episode', async () => {
    const { store, state } = setup();
    const changes = [];
    for (const ev of [
      episode(0),
      episode(0),
      resolvedOf(episode(0)),
      episode(0),
      resolvedOf(episode(0)),
      episode(30),
    ]) {
      changes.push((await store.apply(ev)).change);
    }
    expect(changes).toEqual(['fired', 'refreshed', 'resolved', 'stale', 'stale', 'fired']);
    expect(store.size).toBe(1);
    const [fp] = [...state.entries.keys()];
    expect(state.entries.get(fp!)).toMatchObject({ status: 'firing', startsAt: at(30) });
  });

  it('leaves an alert as it was when its write fails, so the redelivered event fires it and is stored', async () => {
    const { store, state } = setup();
    const put = state.put.bind(state);
    let failures = 1;
    state.put = async (key, value) => {
      if (failures-- > 0) throw new Error('TimeoutError: the KV stream is electing a leader');
      return put(key, value);
    };
    await expect(store.apply(episode(0))).rejects.toThrow(/electing/);
    expect(store.size).toBe(0);
    expect((await store.apply(episode(0))).change).toBe('fired');
    expect(store.size).toBe(1);
    expect(state.entries.size).toBe(1);
  });

  it('computes each change of one alert from the one before, even while both are being stored', async () => {
    const { store, state } = setup();
    const changes = await Promise.all(
      [episode(0), episode(0), resolvedOf(episode(0)), episode(30)].map((ev) => store.apply(ev)),
    );
    expect(changes.map((c) => c.change)).toEqual(['fired', 'refreshed', 'resolved', 'fired']);
    const [fp] = [...state.entries.keys()];
    expect(state.entries.get(fp!)).toMatchObject({ status: 'firing', startsAt: at(30) });
  });

  it('keeps a resolution of an unknown alert, for receivers whose log says it fires', async () => {
    const { store } = setup();
    const applied = await store.apply(resolvedOf(episode(0)));
    expect(applied).toMatchObject({
      change: 'resolved',
      alert: { status: 'resolved', startsAt: at(0), endsAt: at(1) },
    });
    expect(store.size).toBe(0);
  });

  it('turns an alert that keeps re-firing into one flapping alert, folds further episodes, and resolves it after a quiet period', async () => {
    const { store, advance } = setup();
    const seen: string[] = [];
    for (const m of [0, 2, 4]) {
      seen.push((await store.apply(episode(m))).change);
      seen.push((await store.apply(resolvedOf(episode(m), at(m + 1)))).change);
    }
    expect(seen).toEqual(['fired', 'resolved', 'fired', 'resolved', 'started-flapping', 'held']);
    const fp = (await store.apply(episode(6))).fingerprint; // folded into the flapping alert
    expect(store.view(fp)).toMatchObject({ status: 'firing', startsAt: at(4), annotations: { flapping: 'true' } });
    expect((await store.apply(resolvedOf(episode(6), at(7)))).change).toBe('held');
    expect(await store.expireIfDue(fp)).toBeUndefined();
    advance(1_000);
    expect(await store.expireIfDue(fp)).toMatchObject({
      change: 'resolved',
      alert: { status: 'resolved', startsAt: at(4), endsAt: at(7) },
    });
    expect(store.view(fp)!.annotations).not.toHaveProperty('flapping');
  });

  it('does not count episodes outside the window as flapping', async () => {
    const { store } = setup();
    const changes = [];
    for (const m of [0, 11, 22]) {
      changes.push((await store.apply(episode(m))).change);
      await store.apply(resolvedOf(episode(m)));
    }
    expect(changes).toEqual(['fired', 'fired', 'fired']);
  });

  it('expires a posted alert that is not posted again, and merges re-posts into its episode', async () => {
    const { store, advance } = setup();
    const { fingerprint: fp } = await store.apply(episode(0), { expiresAt: T0 + 5_000, mergeWhileFiring: true });
    expect((await store.apply(episode(1), { expiresAt: T0 + 10_000, mergeWhileFiring: true })).change).toBe(
      'refreshed',
    );
    expect(store.view(fp)!.startsAt).toBe(at(0));
    advance(5_000);
    expect(await store.expireIfDue(fp)).toBeUndefined();
    advance(5_000);
    expect(await store.expireIfDue(fp)).toMatchObject({ change: 'resolved', alert: { endsAt: T0 + 10_000 } });
  });

  it('reloads its state and forgets old resolved alerts', async () => {
    const { store, state, advance } = setup();
    const { fingerprint: fp } = await store.apply(episode(0));
    await store.apply(resolvedOf(episode(0)));
    const reloaded = new AlertStore({ store: state });
    await reloaded.load();
    expect(reloaded.get(fp)).toMatchObject({ status: 'resolved' });
    advance(3_600_000);
    expect(store.expiredTombstones()).toEqual([fp]);
    await store.remove(fp);
    expect(state.entries.size).toBe(0);
  });
});
