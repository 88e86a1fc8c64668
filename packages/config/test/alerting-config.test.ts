import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig } from '../src/index.js';

const GB300_FLEET = `
notify:
  - { type: pagerduty, name: gpu-oncall, routing_key: R0UT1NGKEY }
  - { type: slack, name: gpu-chat, url: https://hooks.slack.com/services/T0/B0/x, channel: '#gpu-fleet', rate_limit: { per_minute: 60, burst: 1 } }
  - { type: alertmanager, name: central-am, url: http://am.example:9093, resend_interval_ms: 60000 }
route:
  receiver: gpu-chat
  group_by: [alertname, cluster, rack]
  group_wait: 500ms
  group_interval: 30s
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"']
      receiver: gpu-oncall
      continue: true
      routes:
        - matchers: ['cluster=~"eus2-.*"', 'category!="utilization"']
          group_wait: 1s
    - matchers: ['severity=~"warning|info"']
      repeat_interval: 1h30m
inhibit_rules:
  - name: rack cooling mutes per-GPU thermal pages
    source_matchers: ['alertname="RackCoolingFailure"']
    target_matchers: ['category="thermal"', 'gpu=~".+"']
    equal: [cluster, rack]
`;

describe('alerting config: route, inhibit_rules, receivers', () => {
  it('reads an Alertmanager-shaped routing tree with durations in milliseconds', () => {
    const c = parseConfig(parseYaml(GB300_FLEET), { env: {} });
    expect(c.route).toEqual({
      receiver: 'gpu-chat',
      group_by: ['alertname', 'cluster', 'rack'],
      group_wait: 500,
      group_interval: 30_000,
      repeat_interval: 4 * 3_600_000,
      routes: [
        {
          matchers: ['severity="critical"'],
          receiver: 'gpu-oncall',
          continue: true,
          routes: [{ matchers: ['cluster=~"eus2-.*"', 'category!="utilization"'], group_wait: 1_000 }],
        },
        { matchers: ['severity=~"warning|info"'], repeat_interval: 90 * 60_000 },
      ],
    });
    expect(c.inhibit_rules).toEqual([
      {
        name: 'rack cooling mutes per-GPU thermal pages',
        source_matchers: ['alertname="RackCoolingFailure"'],
        target_matchers: ['category="thermal"', 'gpu=~".+"'],
        equal: ['cluster', 'rack'],
      },
    ]);
    expect(c.notify.map((r) => r.type)).toEqual(['pagerduty', 'slack', 'alertmanager']);
    expect(c.notify[1]).toMatchObject({ channel: '#gpu-fleet', rate_limit: { per_minute: 60, burst: 1 } });
  });

  it('has no route and no inhibition by default, and new alerter keys have defaults', () => {
    const c = parseConfig({}, { env: {} });
    expect(c.route).toBeUndefined();
    expect(c.inhibit_rules).toEqual([]);
    expect(c.alerter).toMatchObject({
      state_bucket: 'kiln_alerter',
      resolve_timeout_ms: 300_000,
      flap_threshold: 3,
      retention_ms: 432_000_000,
    });
  });

  it('names every problem in route, inhibit_rules and receivers', () => {
    let err: unknown;
    try {
      parseConfig(
        {
          route: { receiver: 'x', group_wait: '5 minutes', routes: [{ match: { a: 'b' } }] },
          inhibit_rules: [{ source_matchers: [], target_matchers: ['a="b"'] }],
          notify: [
            { type: 'slack', url: 'nope' },
            { type: 'alertmanager', url: 'http://am:9093', resend_interval_ms: 10 },
          ],
        },
        { env: {} },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/route\.group_wait: expected a duration/);
    expect(problems).toMatch(/route\.routes\[0\]: Unrecognized key: "match"/);
    expect(problems).toMatch(/inhibit_rules\[0\]\.source_matchers/);
    expect(problems).toMatch(/notify\[0\]\.url/);
    expect(problems).toMatch(/notify\[1\]\.resend_interval_ms/);
  });

  it("checks each receiver by its integration's own schema: what fetch() cannot post to fails at load, not in the alerter", () => {
    const problemsOf = (notify: unknown[]): string => {
      try {
        parseConfig({ notify }, { env: {} });
      } catch (e) {
        if (e instanceof ConfigError) return e.problems.join('\n');
        throw e;
      }
      return '';
    };
    expect(problemsOf([{ type: 'webhook', url: 'ftp://hooks.example/x' }])).toMatch(
      /notify\[0\]\.url: expected an http or https URL/,
    );
    expect(problemsOf([{ type: 'pagerduty', routing_key: 'two words' }])).toMatch(
      /notify\[0\]\.routing_key: expected the integration key/,
    );
    expect(problemsOf([{ type: 'webhook', name: '   ', url: 'http://127.0.0.1:1/x' }])).toMatch(
      /notify\[0\]\.name: expected a name, not blanks/,
    );
    expect(
      problemsOf([{ type: 'alertmanager', url: 'http://am:9093', basic_auth: { user: 'kiln', password: 'pw' } }]),
    ).toBe('');
  });
});
