import { Matcher, MatcherSyntaxError } from '../labels/matcher.js';

/** A matcher as the API carries it (Alertmanager's matcher model). */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  /** false negates: != or !~. */
  readonly isEqual: boolean;
}

/** A silence: alerts matching all its matchers are muted between startsAt and endsAt (wall-clock ms). */
export interface Silence {
  /** A UUID, as Alertmanager's API requires. */
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  /** Alertmanager's silence annotations (API v2 since 0.32): free key/value data for clients, e.g. a ticket. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly updatedAt: number;
  /** Kiln's addition: the silence expires once the alerts it muted have all resolved. */
  readonly endsWhenResolved: boolean;
  /** Whether it has muted an alert yet; a silence that ends when its alerts resolve waits for one first. */
  readonly mutedAlerts: boolean;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(silence: Silence, now: number): SilenceState {
  if (now < silence.startsAt) return 'pending';
  return now >= silence.endsAt ? 'expired' : 'active';
}

/** What a client posts to create a silence, or to update one (with `id`). */
export interface PostableSilence {
  readonly id?: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly endsWhenResolved: boolean;
}

/**
 * A comment containing this tag asks for the silence to end when its alerts resolve, so that amtool, which cannot
 * send Kiln's `endsWhenResolved` field, can ask for it too: `amtool silence add -c "cooling swap [until-resolved]" …`.
 */
export const UNTIL_RESOLVED_TAG = '[until-resolved]';

export type SilenceValidation =
  | { readonly ok: true; readonly silence: PostableSilence }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Matchers one silence may carry: far more than anyone writes, few enough that checking an alert against it is quick. */
const MAX_SILENCE_MATCHERS = 64;
/** Annotations one silence may carry: a ticket, a change id, a kind; bounded as a posted alert's are. */
const MAX_SILENCE_ANNOTATIONS = 128;

/**
 * Checks a posted silence (decoded JSON in Alertmanager's postableSilence shape, times as RFC 3339) the way
 * Alertmanager does: at least one matcher, valid names and regular expressions, at least one matcher that does not
 * match the empty string (a silence must not mute everything), start before end, end not in the past.
 */
export function parsePostableSilence(input: unknown, now: number): SilenceValidation {
  const errors: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, errors: ['silence: expected an object'] };
  const body = input as Record<string, unknown>;
  const matchers: SilenceMatcher[] = [];
  const raw = body['matchers'];
  if (!Array.isArray(raw) || raw.length === 0) errors.push('matchers: at least one matcher required');
  else if (raw.length > MAX_SILENCE_MATCHERS)
    errors.push(`matchers: at most ${MAX_SILENCE_MATCHERS}, got ${raw.length}`);
  else {
    raw.forEach((m: unknown, i) => {
      const r = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
      const { name, value, isRegex, isEqual } = r;
      if (
        typeof name !== 'string' ||
        typeof value !== 'string' ||
        typeof isRegex !== 'boolean' ||
        (isEqual !== undefined && typeof isEqual !== 'boolean')
      ) {
        errors.push(`matchers[${i}]: expected {name: string, value: string, isRegex: boolean, isEqual?: boolean}`);
        return;
      }
      const matcher = { name, value, isRegex, isEqual: isEqual ?? true };
      try {
        Matcher.fromApi(matcher);
        matchers.push(matcher);
      } catch (err) {
        errors.push(`matchers[${i}]: ${err instanceof MatcherSyntaxError ? err.message : String(err)}`);
      }
    });
    if (
      matchers.length > 0 &&
      matchers.length === raw.length &&
      matchers.every((m) => Matcher.fromApi(m).matches({}))
    ) {
      errors.push('matchers: at least one matcher must not match the empty string');
    }
  }
  const startsAt = parseTime(body['startsAt'], 'startsAt', errors);
  const endsAt = parseTime(body['endsAt'], 'endsAt', errors);
  if (startsAt !== undefined && endsAt !== undefined) {
    if (startsAt >= endsAt) errors.push('start time must be before end time');
    else if (endsAt < now) errors.push("end time can't be in the past");
  }
  const createdBy = body['createdBy'];
  const comment = body['comment'];
  if (typeof createdBy !== 'string' || createdBy.trim() === '') errors.push('createdBy: required, a non-empty string');
  if (typeof comment !== 'string') errors.push('comment: required, a string');
  const annotations = parseAnnotations(body['annotations'], errors);
  const id = body['id'];
  if (id !== undefined && id !== '' && typeof id !== 'string') errors.push('id: expected a string');
  const endsWhenResolved = body['endsWhenResolved'];
  if (endsWhenResolved !== undefined && typeof endsWhenResolved !== 'boolean')
    errors.push('endsWhenResolved: expected true or false');
  if (errors.length > 0) return { ok: false, errors };
  const text = comment as string;
  return {
    ok: true,
    silence: {
      ...(typeof id === 'string' && id !== '' ? { id } : {}),
      matchers,
      startsAt: startsAt as number,
      endsAt: endsAt as number,
      createdBy: createdBy as string,
      comment: text,
      annotations,
      endsWhenResolved: endsWhenResolved === true || text.toLowerCase().includes(UNTIL_RESOLVED_TAG),
    },
  };
}

/**
 * Alertmanager's canUpdate: a silence is changed in place only if that does not rewrite history. Different matchers,
 * a new start for an active silence, an end in the past, or any change to an expired one make a new silence instead.
 */
export function canUpdateInPlace(current: Silence, next: PostableSilence, now: number): boolean {
  if (!sameMatchers(current.matchers, next.matchers)) return false;
  switch (silenceState(current, now)) {
    case 'active':
      return Math.floor(next.startsAt / 1000) === Math.floor(current.startsAt / 1000) && next.endsAt >= now;
    case 'pending':
      return next.startsAt >= now;
    case 'expired':
      return false;
  }
}

function sameMatchers(a: readonly SilenceMatcher[], b: readonly SilenceMatcher[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => {
      const o = b[i] as SilenceMatcher;
      return m.name === o.name && m.value === o.value && m.isRegex === o.isRegex && m.isEqual === o.isEqual;
    })
  );
}

/** Annotations as Alertmanager takes them: optional (none is `{}`), an object of string values. */
function parseAnnotations(value: unknown, errors: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push('annotations: expected an object of strings');
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_SILENCE_ANNOTATIONS) {
    errors.push(`annotations: at most ${MAX_SILENCE_ANNOTATIONS}, got ${entries.length}`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (typeof v === 'string') out[name] = v;
    else errors.push(`annotations.${name}: expected a string`);
  }
  return out;
}

function parseTime(value: unknown, field: string, errors: string[]): number | undefined {
  if (typeof value !== 'string') {
    errors.push(`${field}: required, an RFC 3339 date-time`);
    return undefined;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    errors.push(`${field}: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
    return undefined;
  }
  return ms;
}
