import type { Labels } from '../alert.js';
import { formatLabels } from '../labels/format.js';
import type { Matcher } from '../labels/matcher.js';
import { matchesAll, parseMatchers } from '../labels/matcher.js';

/** A node of the routing tree as configured, in Alertmanager's shape (durations already in ms). Unset keys inherit. */
export interface RouteSpec {
  readonly receiver?: string | undefined;
  readonly group_by?: readonly string[] | undefined;
  readonly matchers?: readonly string[] | undefined;
  readonly continue?: boolean | undefined;
  readonly group_wait?: number | undefined;
  readonly group_interval?: number | undefined;
  readonly repeat_interval?: number | undefined;
  readonly routes?: readonly RouteSpec[] | undefined;
}

export interface RouteTimers {
  /** Wait before the first notification of a new group, so alerts arriving together go out together. */
  readonly groupWaitMs: number;
  /** Least spacing of a group's notifications about resolved alerts, and the tick that checks repeat_interval. */
  readonly groupIntervalMs: number;
  /** Re-send an unchanged group that still fires this long after its last notification. */
  readonly repeatIntervalMs: number;
}

/**
 * Kiln's defaults page fast: a new group goes out half a second after its first alert (enough for the alerts of one
 * detector evaluation to arrive together), where Alertmanager waits 30 s.
 * Resolutions are batched for 30 s (Alertmanager: 5 min), which also absorbs an alert that clears and re-fires.
 */
export const KILN_ROUTE_TIMERS: RouteTimers = {
  groupWaitMs: 500,
  groupIntervalMs: 30_000,
  repeatIntervalMs: 4 * 3_600_000,
};

/** Grouping of the implicit routing tree (no `route:` configured): one group per alert name and rack. */
export const KILN_DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'cluster', 'rack'];

/** `group_by: ['...']`: every label, so each alert forms its own group. */
export const GROUP_BY_ALL = '...';

export class RouteConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid route: ${problems.join('; ')}`);
    this.name = 'RouteConfigError';
  }
}

/** A node of the routing tree with everything inherited resolved (Alertmanager's dispatch.Route). */
export class Route implements RouteTimers {
  readonly routes: Route[] = [];
  /** Alertmanager's Route.Key(): the matchers of the path from the root, the prefix of every group key. */
  readonly key: string;
  /** Alertmanager's Route.ID(): Key() plus the position among siblings, unique in the tree. */
  readonly id: string;

  constructor(
    readonly receiver: string,
    /** Labels to group by, or undefined for all labels. */
    readonly groupBy: readonly string[] | undefined,
    readonly matchers: readonly Matcher[],
    readonly continueMatching: boolean,
    readonly groupWaitMs: number,
    readonly groupIntervalMs: number,
    readonly repeatIntervalMs: number,
    parent?: Route,
  ) {
    const own = `{${matchers.map((m) => m.toString()).join(',')}}`;
    this.key = parent ? `${parent.key}/${own}` : own;
    this.id = parent ? `${this.key}/${parent.routes.length}` : this.key;
    parent?.routes.push(this);
  }

  /**
   * The routes that take an alert with these labels: depth first, left to right; a matching child ends the search
   * among its siblings unless it has `continue`; a matching node without a matching child takes the alert itself.
   */
  match(labels: Labels): Route[] {
    if (!matchesAll(this.matchers, labels)) return [];
    const all: Route[] = [];
    for (const child of this.routes) {
      const matched = child.match(labels);
      all.push(...matched);
      if (matched.length > 0 && !child.continueMatching) break;
    }
    return all.length > 0 ? all : [this];
  }

  /** The labels that name the alert's group on this route. */
  groupLabels(labels: Labels): Labels {
    if (this.groupBy === undefined) return labels;
    const out: Record<string, string> = {};
    for (const name of this.groupBy) {
      const v = labels[name];
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  /** Alertmanager's group key, `<route key>:<group labels>`, as webhooks receive it. */
  groupKey(groupLabels: Labels): string {
    return `${this.key}:${formatLabels(groupLabels)}`;
  }

  walk(visit: (route: Route) => void): void {
    visit(this);
    for (const child of this.routes) child.walk(visit);
  }
}

/**
 * Builds the routing tree from its configuration, checking what the schema cannot: matcher syntax, receivers that
 * exist, and the root's rules (a receiver, no matchers, no continue). Throws RouteConfigError naming every problem.
 */
export function buildRouteTree(
  spec: RouteSpec,
  receivers: readonly string[],
  defaults: RouteTimers = KILN_ROUTE_TIMERS,
): Route {
  const problems: string[] = [];
  if (!spec.receiver) problems.push('route.receiver: the root route needs a receiver');
  if (spec.matchers?.length) problems.push('route.matchers: the root route must not have matchers');
  if (spec.continue) problems.push('route.continue: not allowed on the root route');
  const known = new Set(receivers);
  const build = (s: RouteSpec, path: string, parent: Route | undefined): Route => {
    const receiver = s.receiver ?? parent?.receiver ?? '';
    if (s.receiver !== undefined && !known.has(s.receiver)) {
      problems.push(
        `${path}.receiver: no receiver named ${JSON.stringify(s.receiver)} in notify (known: ${[...known].join(', ') || 'none'})`,
      );
    }
    const matchers: Matcher[] = [];
    // Each entry is a list, as Alertmanager reads it: 'severity="critical", rack="r1"' is two matchers.
    (s.matchers ?? []).forEach((text, i) => {
      try {
        matchers.push(...parseMatchers(text));
      } catch (err) {
        problems.push(`${path}.matchers[${i}]: ${(err as Error).message}`);
      }
    });
    let groupBy = parent ? parent.groupBy : [];
    if (s.group_by !== undefined) {
      if (s.group_by.includes(GROUP_BY_ALL)) {
        if (s.group_by.length > 1)
          problems.push(`${path}.group_by: '...' groups by all labels and cannot be combined with others`);
        groupBy = undefined;
      } else groupBy = [...s.group_by];
    }
    const route = new Route(
      receiver,
      groupBy,
      matchers,
      s.continue ?? false,
      s.group_wait ?? parent?.groupWaitMs ?? defaults.groupWaitMs,
      s.group_interval ?? parent?.groupIntervalMs ?? defaults.groupIntervalMs,
      s.repeat_interval ?? parent?.repeatIntervalMs ?? defaults.repeatIntervalMs,
      parent,
    );
    if (route.groupIntervalMs <= 0) problems.push(`${path}.group_interval: must be positive`);
    if (route.repeatIntervalMs <= 0) problems.push(`${path}.repeat_interval: must be positive`);
    (s.routes ?? []).forEach((child, i) => build(child, `${path}.routes[${i}]`, route));
    return route;
  };
  const root = build(spec, 'route', undefined);
  if (problems.length > 0) throw new RouteConfigError(problems);
  return root;
}

/**
 * The tree used when no `route:` is configured: every alert goes to every receiver (a child per receiver with
 * `continue`), grouped by alert name and rack.
 */
export function defaultRouteTree(receivers: readonly string[], defaults: RouteTimers = KILN_ROUTE_TIMERS): Route {
  const [first] = receivers;
  if (first === undefined) {
    // Nobody to notify: alerts are still tracked, shown by the API and recorded.
    return new Route(
      '',
      KILN_DEFAULT_GROUP_BY,
      [],
      false,
      defaults.groupWaitMs,
      defaults.groupIntervalMs,
      defaults.repeatIntervalMs,
    );
  }
  return buildRouteTree(
    {
      receiver: first,
      group_by: KILN_DEFAULT_GROUP_BY,
      routes: receivers.map((receiver) => ({ receiver, continue: true })),
    },
    receivers,
    defaults,
  );
}
