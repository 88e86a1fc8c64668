import { randomUUID } from 'node:crypto';
import type { Labels } from '../alert.js';
import { Matcher, matchesAll } from '../labels/matcher.js';
import type { StateStore } from '../state-store.js';
import { MemoryStateStore } from '../state-store.js';
import type { PostableSilence, Silence, SilenceState } from './silence.js';
import { canUpdateInPlace, silenceState } from './silence.js';

export class SilenceNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`silence ${id} not found`);
    this.name = 'SilenceNotFoundError';
  }
}

export interface SilencesOptions {
  readonly store?: StateStore<Silence>;
  /** Expired silences are kept this long after they end (Alertmanager's --data.retention, 120 h). */
  readonly retentionMs?: number;
  readonly now?: () => number;
}

/**
 * The silences, with Alertmanager's rules for creating, updating and expiring them. Held in memory with their
 * compiled matchers, written through to the store on every change.
 */
export class Silences {
  private readonly byId = new Map<string, Silence>();
  private readonly compiled = new Map<string, Matcher[]>();
  private readonly store: StateStore<Silence>;
  private readonly retentionMs: number;
  readonly now: () => number;

  constructor(options: SilencesOptions = {}) {
    this.store = options.store ?? new MemoryStateStore();
    this.retentionMs = options.retentionMs ?? 120 * 3_600_000;
    this.now = options.now ?? Date.now;
  }

  async load(): Promise<void> {
    // Silences stored before annotations existed have none: they read as `{}`, as Alertmanager's do.
    for (const silence of (await this.store.load()).values())
      this.remember({ ...silence, annotations: (silence.annotations as Silence['annotations'] | undefined) ?? {} });
  }

  /**
   * Creates a silence, or updates the one named by `id`: in place when that keeps history intact, otherwise by
   * expiring it and creating a new one (Alertmanager's Silences.Set). Returns the id of the silence now in force.
   */
  async upsert(posted: PostableSilence): Promise<Silence> {
    const now = this.now();
    const current = posted.id === undefined ? undefined : this.byId.get(posted.id);
    if (posted.id !== undefined && current === undefined) throw new SilenceNotFoundError(posted.id);
    const fields = {
      matchers: posted.matchers,
      endsAt: posted.endsAt,
      createdBy: posted.createdBy,
      comment: posted.comment,
      annotations: posted.annotations,
      endsWhenResolved: posted.endsWhenResolved,
      updatedAt: now,
    };
    if (current && canUpdateInPlace(current, posted, now)) {
      return this.save({ ...current, ...fields, startsAt: posted.startsAt });
    }
    if (current && silenceState(current, now) !== 'expired')
      await this.save({ ...current, endsAt: now, updatedAt: now });
    return this.save({ ...fields, id: randomUUID(), startsAt: Math.max(posted.startsAt, now), mutedAlerts: false });
  }

  /** Ends a silence now (a pending one never starts). Expiring an expired silence changes nothing. */
  async expire(id: string): Promise<Silence> {
    const silence = this.byId.get(id);
    if (silence === undefined) throw new SilenceNotFoundError(id);
    const now = this.now();
    switch (silenceState(silence, now)) {
      case 'expired':
        return silence;
      case 'active':
        return this.save({ ...silence, endsAt: now, updatedAt: now });
      case 'pending':
        return this.save({ ...silence, startsAt: now, endsAt: now, updatedAt: now });
    }
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id);
  }

  list(): Silence[] {
    return [...this.byId.values()];
  }

  state(silence: Silence): SilenceState {
    return silenceState(silence, this.now());
  }

  matchersOf(silence: Silence): readonly Matcher[] {
    return this.compiled.get(silence.id) ?? [];
  }

  /** Ids of the active silences that mute an alert with these labels, sorted. */
  mutedBy(labels: Labels): string[] {
    const now = this.now();
    const ids: string[] = [];
    for (const silence of this.byId.values()) {
      if (silenceState(silence, now) === 'active' && matchesAll(this.matchersOf(silence), labels)) ids.push(silence.id);
    }
    return ids.sort();
  }

  /** Notes that a silence that ends when its alerts resolve has muted one, so it may now end. */
  async noteMuted(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const silence = this.byId.get(id);
      if (silence?.endsWhenResolved && !silence.mutedAlerts) await this.save({ ...silence, mutedAlerts: true });
    }
  }

  /**
   * Expires the active silences that end when their alerts resolve, have muted an alert, and match no firing alert
   * any more. Returns the silences it expired.
   */
  async expireResolved(isFiring: (matchers: readonly Matcher[]) => boolean): Promise<Silence[]> {
    const now = this.now();
    const done = [...this.byId.values()].filter(
      (s) => s.endsWhenResolved && s.mutedAlerts && silenceState(s, now) === 'active' && !isFiring(this.matchersOf(s)),
    );
    return Promise.all(done.map((s) => this.expire(s.id)));
  }

  /** The next moment a silence starts or ends, when muting must be looked at again; undefined if none. */
  nextTransitionAt(): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const s of this.byId.values()) {
      for (const t of [s.startsAt, s.endsAt]) if (t > now && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** Forgets silences that expired more than the retention period ago; returns how many. */
  async gc(): Promise<number> {
    const cutoff = this.now() - this.retentionMs;
    const old = [...this.byId.values()].filter((s) => s.endsAt <= cutoff);
    for (const s of old) {
      this.byId.delete(s.id);
      this.compiled.delete(s.id);
    }
    await Promise.all(old.map((s) => this.store.delete(s.id)));
    return old.length;
  }

  private async save(silence: Silence): Promise<Silence> {
    this.remember(silence);
    await this.store.put(silence.id, silence);
    return silence;
  }

  private remember(silence: Silence): void {
    this.byId.set(silence.id, silence);
    if (!this.compiled.has(silence.id))
      this.compiled.set(
        silence.id,
        silence.matchers.map((m) => Matcher.fromApi(m)),
      );
  }
}
