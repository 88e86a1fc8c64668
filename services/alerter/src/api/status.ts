import type { InhibitRule, Route } from '@kiln/alerts';
import { buildInfo } from '@kiln/config';
import { formatDuration } from '@kiln/duration';
import type { Alerting } from '../alerting-config.js';
import type { ApiRoute } from './server.js';

export interface StatusApiContext {
  /** The configuration running now (a reload replaces it). */
  readonly alerting: () => Alerting;
  readonly resolveTimeoutMs: number;
  readonly startedAt: number;
  /** Whether the alerter has loaded its state and consumes events. */
  readonly ready: () => boolean;
}

/** GET /api/v2/status and /api/v2/receivers, and the health endpoints /-/healthy and /-/ready. */
export function statusRoutes(ctx: StatusApiContext): ApiRoute[] {
  const receivers = (): string[] => ctx.alerting().receivers.map((r) => r.name);
  return [
    { method: 'GET', path: '/-/healthy', writes: false, handle: () => ({ status: 200, text: 'OK\n' }) },
    {
      method: 'GET',
      path: '/-/ready',
      writes: false,
      handle: () => (ctx.ready() ? { status: 200, text: 'OK\n' } : { status: 503, text: 'starting\n' }),
    },
    {
      method: 'GET',
      path: '/api/v2/status',
      writes: false,
      handle: () => {
        const build = buildInfo();
        return {
          status: 200,
          body: {
            cluster: { status: 'disabled', peers: [] },
            config: {
              original: alertmanagerConfig({
                ...ctx.alerting(),
                receivers: receivers(),
                resolveTimeoutMs: ctx.resolveTimeoutMs,
              }),
            },
            uptime: new Date(ctx.startedAt).toISOString(),
            // amtool shows version and revision; the Go version's place holds Node's.
            versionInfo: {
              version: build.version,
              revision: build.revision,
              branch: '',
              buildUser: '',
              buildDate: '',
              goVersion: `node ${build.node}`,
            },
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v2/receivers',
      writes: false,
      handle: () => ({ status: 200, body: receivers().map((name) => ({ name })) }),
    },
  ];
}

/**
 * The routing part of the configuration as an Alertmanager configuration (JSON, which is YAML), so that
 * `amtool config routes show|test` works against the alerter. Receivers are listed by name only: their
 * destinations are secrets.
 */
export function alertmanagerConfig(ctx: {
  readonly route: Route;
  readonly receivers: readonly string[];
  readonly inhibitRules: readonly InhibitRule[];
  readonly resolveTimeoutMs: number;
}): string {
  const routeOf = (r: Route): Record<string, unknown> => ({
    receiver: r.receiver,
    group_by: r.groupBy ?? ['...'],
    ...(r.matchers.length > 0 ? { matchers: r.matchers.map((m) => m.toString()) } : {}),
    ...(r.continueMatching ? { continue: true } : {}),
    group_wait: formatDuration(r.groupWaitMs),
    group_interval: formatDuration(r.groupIntervalMs),
    repeat_interval: formatDuration(r.repeatIntervalMs),
    ...(r.routes.length > 0 ? { routes: r.routes.map(routeOf) } : {}),
  });
  return JSON.stringify(
    {
      global: { resolve_timeout: formatDuration(ctx.resolveTimeoutMs) },
      route: routeOf(ctx.route),
      receivers: ctx.receivers.map((name) => ({ name })),
      inhibit_rules: ctx.inhibitRules.map((r) => ({
        source_matchers: r.source.map((m) => m.toString()),
        target_matchers: r.target.map((m) => m.toString()),
        equal: r.equal,
      })),
    },
    null,
    2,
  );
}
