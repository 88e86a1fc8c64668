import {
  formatRfc3339,
  LabelRegex,
  matchesAll,
  parseMatcher,
  validateAlertEvent,
  ZERO_TIME_RFC3339,
  type AlertEvent,
  type AlertStore,
  type Dispatcher,
  type Labels,
  type Matcher,
} from '@kiln/alerts';
import type { ApiRequest, ApiRoute } from './server.js';
import { BadRequestError } from './server.js';

export interface AlertsApiContext {
  readonly alerts: AlertStore;
  readonly dispatcher: Dispatcher;
  /** A posted alert without endsAt resolves this long after it was last posted. */
  readonly resolveTimeoutMs: number;
  readonly now: () => number;
}

/** Alertmanager's gettableAlert. */
export interface GettableAlert {
  labels: Labels;
  annotations: Readonly<Record<string, string>>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  /** Left out when the alert has none, as Alertmanager does: the definition's format is `uri`, which '' is not. */
  generatorURL?: string;
  receivers: { name: string }[];
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    silencedBy: string[];
    inhibitedBy: string[];
    mutedBy: string[];
  };
}

/** Alertmanager's alertGroup (API v2 as of 0.34, where routeLabels became required). */
export interface AlertGroup {
  labels: Labels;
  /**
   * The labels the group's route sets (Alertmanager's route `labels`, rendered per group). Kiln's routes set none, so
   * this is always `{}`; it is sent because the definition requires it.
   */
  routeLabels: Labels;
  receiver: { name: string };
  alerts: GettableAlert[];
}

/** GET and POST /api/v2/alerts and GET /api/v2/alerts/groups, as Alertmanager's API v2 has them. */
export function alertRoutes(ctx: AlertsApiContext): ApiRoute[] {
  const view = (fp: string): GettableAlert | undefined => {
    const stored = ctx.alerts.get(fp);
    const alert = ctx.alerts.view(fp);
    if (stored === undefined || alert === undefined || stored.status !== 'firing') return undefined;
    const muting = ctx.dispatcher.muting(fp, alert.labels);
    return {
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: formatRfc3339(alert.startsAt),
      endsAt: stored.expiresAt === undefined ? ZERO_TIME_RFC3339 : formatRfc3339(stored.expiresAt),
      updatedAt: formatRfc3339(stored.updatedAt),
      fingerprint: fp,
      ...(alert.generatorURL === undefined || alert.generatorURL === '' ? {} : { generatorURL: alert.generatorURL }),
      receivers: ctx.dispatcher.receiversOf(alert.labels).map((name) => ({ name })),
      status: { ...muting, mutedBy: [] },
    };
  };
  return [
    {
      method: 'GET',
      path: '/api/v2/alerts',
      writes: false,
      handle: (req) => {
        const keep = alertFilter(req);
        const out: GettableAlert[] = [];
        for (const fp of ctx.alerts.fingerprints()) {
          const a = view(fp);
          if (a && keep(a)) out.push(a);
        }
        return { status: 200, body: out.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : 1)) };
      },
    },
    {
      method: 'GET',
      path: '/api/v2/alerts/groups',
      writes: false,
      handle: (req) => {
        const keep = alertFilter(req);
        const receiver = receiverFilter(req);
        const groups = ctx.dispatcher
          .activeGroups()
          .filter((g) => receiver(g.route.receiver))
          .map(
            (g): AlertGroup => ({
              labels: g.labels,
              routeLabels: {},
              receiver: { name: g.route.receiver },
              alerts: [...g.members].flatMap((fp) => view(fp) ?? []).filter(keep),
            }),
          )
          .filter((g) => g.alerts.length > 0);
        return { status: 200, body: groups };
      },
    },
    {
      method: 'POST',
      path: '/api/v2/alerts',
      writes: true,
      handle: async (req) => {
        const body = await req.json();
        if (!Array.isArray(body)) throw new BadRequestError('expected an array of alerts');
        const now = ctx.now();
        const problems: string[] = [];
        const accepted: Promise<unknown>[] = [];
        body.forEach((item: unknown, i) => {
          const posted = fromPostable(item, now, ctx.resolveTimeoutMs);
          if (typeof posted === 'string') {
            problems.push(`alerts[${i}]: ${posted}`);
            return;
          }
          accepted.push(
            ctx.dispatcher.ingest(posted.event, {
              ...(posted.expiresAt === undefined ? {} : { expiresAt: posted.expiresAt }),
              mergeWhileFiring: true,
            }),
          );
        });
        // As Alertmanager does: the valid alerts are taken, and the invalid ones named in a 400.
        await Promise.all(accepted);
        return problems.length > 0 ? { status: 400, body: problems.join('; ') } : { status: 200 };
      },
    },
  ];
}

/**
 * An Alertmanager postableAlert as an alert event, held to Alertmanager's rules rather than Kiln's alert contract: no
 * startsAt means now, an endsAt in the past means resolved, and a firing alert expires at its endsAt, or
 * resolve_timeout from now without one. Returns the problems as text.
 */
function fromPostable(
  item: unknown,
  now: number,
  resolveTimeoutMs: number,
): { event: AlertEvent; expiresAt?: number } | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'expected an object';
  const p = item as Record<string, unknown>;
  for (const field of ['labels', 'annotations']) {
    const v = p[field];
    const n = typeof v === 'object' && v !== null ? Object.keys(v).length : 0;
    if (n > MAX_LABELS) return `${field}: at most ${MAX_LABELS}, got ${n}`;
  }
  const time = (field: string): number | undefined | string => {
    const v = p[field];
    if (v === undefined || v === null || v === '' || v === '0001-01-01T00:00:00Z') return undefined;
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isNaN(ms) ? `${field}: expected an RFC 3339 date-time` : ms;
  };
  const startsAt = time('startsAt');
  const endsAt = time('endsAt');
  if (typeof startsAt === 'string') return startsAt;
  if (typeof endsAt === 'string') return endsAt;
  const resolved = endsAt !== undefined && endsAt <= now;
  const candidate = {
    labels: dropEmpty(p['labels']),
    annotations: p['annotations'] ?? {},
    status: resolved ? 'resolved' : 'firing',
    startsAt: Math.min(startsAt ?? endsAt ?? now, now),
    ...(resolved ? { endsAt } : {}),
    ...(typeof p['generatorURL'] === 'string' && p['generatorURL'] !== '' ? { generatorURL: p['generatorURL'] } : {}),
  };
  // Kiln's contract binds its own detectors; a posted alert may come from any Prometheus or vmalert rule.
  const validation = validateAlertEvent(candidate, 'any');
  if (!validation.ok) return validation.errors.join(', ');
  return resolved
    ? { event: validation.event }
    : { event: validation.event, expiresAt: endsAt ?? now + resolveTimeoutMs };
}

/** Alertmanager removes labels with empty values from posted alerts. */
function dropEmpty(labels: unknown): unknown {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return labels;
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}

/** The `active`, `silenced`, `inhibited`, `filter` and `receiver` query parameters of Alertmanager's alert queries. */
function alertFilter(req: ApiRequest): (a: GettableAlert) => boolean {
  const flag = (name: string) => req.query.get(name) !== 'false';
  const [active, silenced, inhibited] = [flag('active'), flag('silenced'), flag('inhibited')];
  const matchers = filterMatchers(req);
  const receiver = receiverFilter(req);
  return (a) =>
    (active || a.status.state !== 'active') &&
    (silenced || a.status.silencedBy.length === 0) &&
    (inhibited || a.status.inhibitedBy.length === 0) &&
    matchesAll(matchers, a.labels) &&
    (req.query.get('receiver') === null || a.receivers.some((r) => receiver(r.name)));
}

/** Labels (and annotations) one posted alert may carry: a Prometheus alert has a dozen or two. */
const MAX_LABELS = 128;
/** Filters one query may carry, and the length of each: what a person or amtool writes, many times over. */
const MAX_FILTERS = 64;
const MAX_FILTER_CHARS = 1024;

export function filterMatchers(req: ApiRequest): Matcher[] {
  const filters = req.query.getAll('filter');
  if (filters.length > MAX_FILTERS)
    throw new BadRequestError(`at most ${MAX_FILTERS} filter parameters, got ${filters.length}`);
  const long = filters.find((f) => f.length > MAX_FILTER_CHARS);
  if (long !== undefined)
    throw new BadRequestError(`a filter is at most ${MAX_FILTER_CHARS} characters, got ${long.length}`);
  try {
    return filters.map(parseMatcher);
  } catch (err) {
    throw new BadRequestError((err as Error).message);
  }
}

function receiverFilter(req: ApiRequest): (name: string) => boolean {
  const pattern = req.query.get('receiver');
  if (pattern === null) return () => true;
  if (pattern.length > MAX_FILTER_CHARS)
    throw new BadRequestError(`the receiver parameter is at most ${MAX_FILTER_CHARS} characters`);
  try {
    const re = new LabelRegex(pattern);
    return (name) => re.test(name);
  } catch (err) {
    throw new BadRequestError(`failed to parse receiver param: ${(err as Error).message}`);
  }
}
