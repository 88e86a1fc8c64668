import type { CommonReceiverConfig } from '../config-checks.js';
import { checkCommon, checkHttpUrl } from '../config-checks.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * PagerDuty accepts about 120 events per minute per routing key over a 60 s look-back: 100/min with a burst of 20
 * never passes 120 in any minute.
 */
export const PAGERDUTY_RATE_LIMIT = { perMinute: 100, burst: 20 } as const;

/** A PagerDuty service integration, reached through Events API v2. */
export interface PagerDutyConfig extends CommonReceiverConfig {
  readonly type: 'pagerduty';
  /** The integration key of the PagerDuty service (a secret). */
  readonly routing_key: string;
  /** Events API endpoint; PAGERDUTY_EVENTS_URL unless set (a proxy, PagerDuty's EU endpoint). */
  readonly url?: string | undefined;
  /**
   * `alert` (the default): one PagerDuty alert per Kiln alert, resolved when it resolves. `group`: one per group of
   * the route (its group_by labels), as Alertmanager does, resolved when all of the group's alerts have resolved.
   */
  readonly incident?: PagerDutyIncident | undefined;
}

export const PAGERDUTY_INCIDENTS = ['alert', 'group'] as const;
export type PagerDutyIncident = (typeof PAGERDUTY_INCIDENTS)[number];

/** Problems with a PagerDuty config, each naming its field; empty when it is valid. */
export function validatePagerDutyConfig(config: PagerDutyConfig): string[] {
  const problems: string[] = [];
  const key: unknown = config.routing_key;
  if (typeof key !== 'string' || !/^\S{1,255}$/.test(key)) problems.push('routing_key: expected the integration key, a non-empty string without spaces');
  if (config.url !== undefined) checkHttpUrl(config.url, 'url', problems);
  if (config.incident !== undefined && !(PAGERDUTY_INCIDENTS as readonly string[]).includes(config.incident)) {
    problems.push(`incident: expected one of ${PAGERDUTY_INCIDENTS.join(', ')}, got ${JSON.stringify(config.incident)}`);
  }
  checkCommon(config, problems);
  return problems;
}
