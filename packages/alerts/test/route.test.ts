import { describe, expect, it } from 'vitest';
import { buildRouteTree, defaultRouteTree, KILN_ROUTE_TIMERS, RouteConfigError } from '../src/index.js';

const receivers = ['chat', 'oncall', 'eus2-oncall', 'archive'];
const tree = buildRouteTree(
  {
    receiver: 'chat',
    group_by: ['alertname', 'cluster', 'rack'],
    group_wait: 500,
    routes: [
      {
        matchers: ['severity="critical"'],
        receiver: 'oncall',
        continue: true,
        routes: [{ matchers: ['cluster=~"eus2-.*"'], receiver: 'eus2-oncall', group_wait: 0 }],
      },
      { matchers: ['severity="critical"'], receiver: 'archive', group_by: ['...'] },
      { matchers: ['severity=~"warning|info"'], repeat_interval: 3_600_000 },
    ],
  },
  receivers,
);
const labels = (over: Record<string, string>) => ({
  alertname: 'GpuHot',
  severity: 'critical',
  cluster: 'wus3-ai2',
  rack: 'r0042',
  gpu: '3',
  ...over,
});

describe('routing tree', () => {
  it('walks depth first: continue lets later siblings match, the deepest matching node takes the alert', () => {
    expect(tree.match(labels({ cluster: 'eus2-ai1' })).map((r) => r.receiver)).toEqual(['eus2-oncall', 'archive']);
    expect(tree.match(labels({})).map((r) => r.receiver)).toEqual(['oncall', 'archive']);
    expect(tree.match(labels({ severity: 'warning' })).map((r) => r.receiver)).toEqual(['chat']);
    expect(tree.match(labels({ severity: 'info' }))[0]!.repeatIntervalMs).toBe(3_600_000);
  });

  it('reads each matchers entry as a list, as Alertmanager does', () => {
    const listed = buildRouteTree(
      {
        receiver: 'chat',
        routes: [
          { matchers: ['severity="critical", cluster=~"eus2-.*"'], receiver: 'oncall' },
          { matchers: ['{rack="r1"}'], receiver: 'archive' },
        ],
      },
      receivers,
    );
    expect(listed.match(labels({ cluster: 'eus2-ai1' }))[0]!.receiver).toBe('oncall');
    expect(listed.match(labels({}))[0]!.receiver).toBe('chat');
    expect(listed.match(labels({ severity: 'warning', rack: 'r1' }))[0]!.receiver).toBe('archive');
  });

  it('inherits receiver, grouping and timers, and applies Kiln defaults at the root', () => {
    const [eus2] = tree.match(labels({ cluster: 'eus2-ai1' }));
    expect(eus2).toMatchObject({
      groupBy: ['alertname', 'cluster', 'rack'],
      groupWaitMs: 0,
      groupIntervalMs: KILN_ROUTE_TIMERS.groupIntervalMs,
    });
    expect(tree.groupWaitMs).toBe(500);
    expect(tree.repeatIntervalMs).toBe(4 * 3_600_000);
  });

  it('builds group labels and Alertmanager group keys', () => {
    const [oncall, archive] = tree.match(labels({}));
    const gl = oncall!.groupLabels(labels({}));
    expect(gl).toEqual({ alertname: 'GpuHot', cluster: 'wus3-ai2', rack: 'r0042' });
    expect(oncall!.groupKey(gl)).toBe(
      '{}/{severity="critical"}:{alertname="GpuHot", cluster="wus3-ai2", rack="r0042"}',
    );
    expect(archive!.groupLabels(labels({}))).toEqual(labels({}));
    expect(oncall!.id).not.toBe(archive!.id);
  });

  it('names every problem in one error', () => {
    let err: unknown;
    try {
      buildRouteTree(
        {
          matchers: ['a="b"'],
          continue: true,
          routes: [{ receiver: 'pager', matchers: ['bad'] }, { group_by: ['...', 'rack'] }],
        },
        receivers,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouteConfigError);
    expect((err as RouteConfigError).problems).toEqual([
      'route.receiver: the root route needs a receiver',
      'route.matchers: the root route must not have matchers',
      'route.continue: not allowed on the root route',
      'route.routes[0].receiver: no receiver named "pager" in notify (known: chat, oncall, eus2-oncall, archive)',
      'route.routes[0].matchers[0]: "bad": expected name="value" with one of = != =~ !~',
      "route.routes[1].group_by: '...' groups by all labels and cannot be combined with others",
    ]);
  });

  it('sends every alert to every receiver without a route, grouped by alert name and rack', () => {
    const implicit = defaultRouteTree(['a', 'b']);
    const routes = implicit.match(labels({}));
    expect(routes.map((r) => r.receiver)).toEqual(['a', 'b']);
    expect(routes[0]!.groupLabels(labels({}))).toEqual({ alertname: 'GpuHot', cluster: 'wus3-ai2', rack: 'r0042' });
    expect(
      defaultRouteTree([])
        .match(labels({}))
        .map((r) => r.receiver),
    ).toEqual(['']);
  });
});
