import {
  formatRfc3339,
  parsePostableSilence,
  SilenceNotFoundError,
  type Dispatcher,
  type Silence,
  type SilenceState,
  type Silences,
} from '@kiln/alerts';
import { filterMatchers } from './alerts.js';
import type { ApiRoute } from './server.js';

export interface SilencesApiContext {
  readonly silences: Silences;
  readonly dispatcher: Dispatcher;
}

/** Alertmanager's gettableSilence, plus Kiln's endsWhenResolved. */
export interface GettableSilence {
  id: string;
  status: { state: SilenceState };
  updatedAt: string;
  matchers: Silence['matchers'];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  /** Required in gettableSilence since Alertmanager 0.32: `{}` when the silence has none. */
  annotations: Silence['annotations'];
  endsWhenResolved: boolean;
}

const STATE_ORDER: Readonly<Record<SilenceState, number>> = { active: 0, pending: 1, expired: 2 };

/** GET/POST /api/v2/silences and GET/DELETE /api/v2/silence/{id}, as Alertmanager's API v2 has them. */
export function silenceRoutes(ctx: SilencesApiContext): ApiRoute[] {
  // Read through ctx on every use: a reload or a change of leader replaces them.
  const view = (s: Silence): GettableSilence => ({
    id: s.id,
    status: { state: ctx.silences.state(s) },
    updatedAt: formatRfc3339(s.updatedAt),
    matchers: s.matchers,
    startsAt: formatRfc3339(s.startsAt),
    endsAt: formatRfc3339(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
    annotations: s.annotations,
    endsWhenResolved: s.endsWhenResolved,
  });
  const notFound = (id: string) => ({ status: 404, body: `silence ${id} not found` });
  return [
    {
      method: 'GET',
      path: '/api/v2/silences',
      writes: false,
      handle: (req) => {
        // As Alertmanager: a filter matcher selects silences that have exactly that matcher.
        const wanted = filterMatchers(req);
        // Alertmanager 0.34's `active`, `pending` and `expired` parameters: each state is listed unless set to false.
        const states = new Set(
          (['active', 'pending', 'expired'] as const).filter((state) => req.query.get(state) !== 'false'),
        );
        const list = ctx.silences
          .list()
          .filter((s) => states.has(ctx.silences.state(s)))
          .filter((s) =>
            wanted.every((w) =>
              s.matchers.some(
                (m) => m.name === w.name && m.value === w.value && m.isRegex === w.isRegex && m.isEqual === w.isEqual,
              ),
            ),
          )
          .map(view);
        // Active first, soonest to end; then pending, soonest to start; then expired, most recent first.
        list.sort((a, b) => {
          const byState = STATE_ORDER[a.status.state] - STATE_ORDER[b.status.state];
          if (byState !== 0) return byState;
          if (a.status.state === 'pending') return a.startsAt.localeCompare(b.startsAt);
          return a.status.state === 'active'
            ? Date.parse(a.endsAt) - Date.parse(b.endsAt)
            : Date.parse(b.endsAt) - Date.parse(a.endsAt);
        });
        return { status: 200, body: list };
      },
    },
    {
      method: 'POST',
      path: '/api/v2/silences',
      writes: true,
      handle: async (req) => {
        const parsed = parsePostableSilence(await req.json(), ctx.silences.now());
        if (!parsed.ok) return { status: 400, body: `invalid silence: ${parsed.errors.join('; ')}` };
        const before = parsed.silence.id === undefined ? undefined : ctx.silences.get(parsed.silence.id);
        try {
          const saved = await ctx.silences.upsert(parsed.silence);
          if (before && before.id !== saved.id) ctx.dispatcher.silenceChanged(before);
          ctx.dispatcher.silenceChanged(saved);
          return { status: 200, body: { silenceID: saved.id } };
        } catch (err) {
          if (err instanceof SilenceNotFoundError) return notFound(err.id);
          throw err;
        }
      },
    },
    {
      method: 'GET',
      path: '/api/v2/silence/{silenceID}',
      writes: false,
      handle: (req) => {
        const s = ctx.silences.get(req.params['silenceID'] ?? '');
        return s ? { status: 200, body: view(s) } : notFound(req.params['silenceID'] ?? '');
      },
    },
    {
      method: 'DELETE',
      path: '/api/v2/silence/{silenceID}',
      writes: true,
      handle: async (req) => {
        try {
          ctx.dispatcher.silenceChanged(await ctx.silences.expire(req.params['silenceID'] ?? ''));
          return { status: 200 };
        } catch (err) {
          if (err instanceof SilenceNotFoundError) return notFound(err.id);
          throw err;
        }
      },
    },
  ];
}
