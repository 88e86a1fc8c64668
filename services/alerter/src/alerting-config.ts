import {
  buildInhibitRules,
  buildRouteTree,
  createReceiver,
  defaultRouteTree,
  InhibitRuleError,
  ReceiverConfigError,
  RouteConfigError,
  TOPOLOGY_INHIBIT_RULES,
  type InhibitRule,
  type Receiver,
  type Route,
} from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';

export interface Alerting {
  readonly receivers: readonly Receiver[];
  readonly route: Route;
  readonly inhibitRules: readonly InhibitRule[];
}

export class AlertingConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid alerting configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'AlertingConfigError';
  }
}

/**
 * Builds the receivers, routing tree and inhibition rules from the configuration, checking what the schema cannot
 * (matcher syntax, routes naming receivers that exist, unique receiver names) and naming every problem at once. The
 * built-in topology inhibitions come first unless alerter.default_inhibitions is false.
 */
export function buildAlerting(config: KilnConfig): Alerting {
  const problems: string[] = [];
  const receivers: Receiver[] = [];
  config.notify.forEach((entry, i) => {
    try {
      receivers.push(createReceiver(entry));
    } catch (err) {
      if (!(err instanceof ReceiverConfigError)) throw err;
      problems.push(...err.problems.map((p) => `notify[${i}].${p}`));
    }
  });
  const names = receivers.map((r) => r.name);
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0)
    problems.push(`notify: receiver names must be unique; repeated: ${[...new Set(duplicates)].join(', ')}`);

  let route: Route | undefined;
  try {
    route = config.route ? buildRouteTree(config.route, names) : defaultRouteTree(names);
  } catch (err) {
    if (!(err instanceof RouteConfigError)) throw err;
    problems.push(...err.problems);
  }
  let inhibitRules: InhibitRule[] = [];
  try {
    const builtIn = config.alerter.default_inhibitions ? buildInhibitRules(TOPOLOGY_INHIBIT_RULES) : [];
    inhibitRules = [...builtIn, ...buildInhibitRules(config.inhibit_rules)];
  } catch (err) {
    if (!(err instanceof InhibitRuleError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || route === undefined) throw new AlertingConfigError(problems);
  return { receivers, route, inhibitRules };
}
