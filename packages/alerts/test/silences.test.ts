import { describe, expect, it } from 'vitest';
import type { Silence } from '../src/index.js';
import { MemoryStateStore, parsePostableSilence, SilenceNotFoundError, Silences } from '../src/index.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const posted = (over: Record<string, unknown> = {}) => ({
  matchers: [{ name: 'rack', value: 'r0042', isRegex: false, isEqual: true }],
  startsAt: iso(NOW),
  endsAt: iso(NOW + 3_600_000),
  createdBy: 'oncall@example.com',
  comment: 'replacing a CDU pump',
  ...over,
});
function valid(over: Record<string, unknown> = {}) {
  const v = parsePostableSilence(posted(over), NOW);
  if (!v.ok) throw new Error(v.errors.join('; '));
  return v.silence;
}

describe('posted silences', () => {
  it('accepts Alertmanager postable silences, and the until-resolved tag or field', () => {
    expect(valid()).toMatchObject({ startsAt: NOW, endsAt: NOW + 3_600_000, endsWhenResolved: false });
    expect(valid({ comment: 'pump swap [until-resolved]' }).endsWhenResolved).toBe(true);
    expect(valid({ endsWhenResolved: true }).endsWhenResolved).toBe(true);
  });

  it('refuses what Alertmanager refuses, naming each problem', () => {
    const errors = (over: Record<string, unknown>) => {
      const v = parsePostableSilence(posted(over), NOW);
      return v.ok ? [] : v.errors;
    };
    expect(errors({ matchers: [] })).toEqual(['matchers: at least one matcher required']);
    expect(errors({ matchers: [{ name: 'rack', value: '.*', isRegex: true }] })).toEqual([
      'matchers: at least one matcher must not match the empty string',
    ]);
    expect(errors({ matchers: [{ name: 'rack', value: '(', isRegex: true }] })[0]).toMatch(
      /invalid regular expression/,
    );
    expect(errors({ endsAt: iso(NOW - 1) })).toEqual(['start time must be before end time']);
    expect(errors({ startsAt: iso(NOW - 7_200_000), endsAt: iso(NOW - 1) })).toEqual(["end time can't be in the past"]);
    expect(errors({ createdBy: '', startsAt: 'yesterday' })).toEqual([
      'startsAt: "yesterday" is not an RFC 3339 date-time',
      'createdBy: required, a non-empty string',
    ]);
    expect(errors({ annotations: ['OPS-1'] })).toEqual(['annotations: expected an object of strings']);
    expect(errors({ annotations: { ticket: 1234 } })).toEqual(['annotations.ticket: expected a string']);
  });

  it('takes annotations (Alertmanager 0.32+), none meaning an empty set', () => {
    expect(valid().annotations).toEqual({});
    expect(valid({ annotations: null }).annotations).toEqual({});
    expect(valid({ annotations: { ticket: 'OPS-1234' } }).annotations).toEqual({ ticket: 'OPS-1234' });
  });
});

describe('Silences', () => {
  function setup() {
    let now = NOW;
    const store = new MemoryStateStore<Silence>();
    const silences = new Silences({ store, now: () => now, retentionMs: 60_000 });
    return { silences, store, advance: (ms: number) => (now += ms) };
  }

  it('mutes matching alerts while active, persists, and expires on request', async () => {
    const { silences, store, advance } = setup();
    const s = await silences.upsert(valid());
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(silences.mutedBy({ rack: 'r0042', gpu: '1' })).toEqual([s.id]);
    expect(silences.mutedBy({ rack: 'r0043' })).toEqual([]);
    expect(store.entries.get(s.id)).toMatchObject({ createdBy: 'oncall@example.com' });
    advance(1_000);
    const expired = await silences.expire(s.id);
    expect(silences.state(expired)).toBe('expired');
    expect(silences.mutedBy({ rack: 'r0042' })).toEqual([]);
    expect(await silences.expire(s.id)).toBe(expired);
    await expect(silences.expire('nope')).rejects.toThrow(SilenceNotFoundError);
    const reloaded = new Silences({ store, now: () => NOW + 1_000 });
    await reloaded.load();
    expect(reloaded.get(s.id)).toEqual(expired);
  });

  it('keeps annotations through updates and reloads; a silence stored before annotations reads as having none', async () => {
    const { silences, store } = setup();
    const s = await silences.upsert(valid({ annotations: { ticket: 'OPS-1' } }));
    expect((await silences.upsert(valid({ id: s.id, annotations: { ticket: 'OPS-2' } }))).annotations).toEqual({
      ticket: 'OPS-2',
    });
    const { annotations: _dropped, ...older } = { ...s, id: '00000000-0000-4000-8000-000000000001' };
    await store.put(older.id, older as Silence);
    const reloaded = new Silences({ store, now: () => NOW });
    await reloaded.load();
    expect(reloaded.get(s.id)?.annotations).toEqual({ ticket: 'OPS-2' });
    expect(reloaded.get(older.id)?.annotations).toEqual({});
  });

  it('updates in place only when history stays intact, else expires the old one and creates a new one', async () => {
    const { silences, advance } = setup();
    const s = await silences.upsert(valid());
    advance(1_000);
    const longer = await silences.upsert(valid({ id: s.id, endsAt: iso(NOW + 7_200_000) }));
    expect(longer.id).toBe(s.id);
    const other = await silences.upsert(
      valid({ id: s.id, matchers: [{ name: 'rack', value: 'r0043', isRegex: false, isEqual: true }] }),
    );
    expect(other.id).not.toBe(s.id);
    expect(silences.state(silences.get(s.id)!)).toBe('expired');
    await expect(silences.upsert(valid({ id: 'f00' }))).rejects.toThrow(SilenceNotFoundError);
  });

  it('starts pending silences later, reports the next transition, and forgets expired ones after retention', async () => {
    const { silences, advance } = setup();
    const later = await silences.upsert(valid({ startsAt: iso(NOW + 10_000), endsAt: iso(NOW + 20_000) }));
    expect(silences.state(later)).toBe('pending');
    expect(silences.nextTransitionAt()).toBe(NOW + 10_000);
    advance(10_000);
    expect(silences.mutedBy({ rack: 'r0042' })).toEqual([later.id]);
    expect(silences.nextTransitionAt()).toBe(NOW + 20_000);
    advance(10_000 + 60_000);
    expect(await silences.gc()).toBe(1);
    expect(silences.list()).toEqual([]);
  });

  it('ends a silence that ends when its alerts resolve, once it has muted one and nothing it matches fires', async () => {
    const { silences } = setup();
    const s = await silences.upsert(valid({ endsWhenResolved: true }));
    expect(await silences.expireResolved(() => false)).toEqual([]); // has muted nothing yet
    await silences.noteMuted([s.id]);
    expect(await silences.expireResolved(() => true)).toEqual([]);
    const [ended] = await silences.expireResolved(() => false);
    expect(ended!.id).toBe(s.id);
    expect(silences.state(ended!)).toBe('expired');
  });
});
