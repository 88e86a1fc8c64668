import { checkHttpUrl, checkName } from '../config-checks.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** A PagerDuty service integration, reached through Events API v2. */
export interface PagerDutyConfig {
  readonly type: 'pagerduty';
  /** The integration key of the PagerDuty service (a secret). */
  readonly routing_key: string;
  /** Events API endpoint; PAGERDUTY_EVENTS_URL unless set (a proxy, PagerDuty's EU endpoint). */
  readonly url?: string;
  readonly name?: string;
}

/** Problems with a PagerDuty config, each naming its field; empty when it is valid. */
export function validatePagerDutyConfig(config: PagerDutyConfig): string[] {
  const problems: string[] = [];
  const key: unknown = config.routing_key;
  if (typeof key !== 'string' || !/^\S{1,255}$/.test(key)) problems.push('routing_key: expected the integration key, a non-empty string without spaces');
  if (config.url !== undefined) checkHttpUrl(config.url, 'url', problems);
  checkName(config.name, problems);
  return problems;
}
