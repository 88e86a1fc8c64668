import type { CommonReceiverConfig } from '../config-checks.js';
import { checkCommon, checkHttpUrl } from '../config-checks.js';

/** A generic webhook that receives Alertmanager's webhook payload, version 4. */
export interface WebhookConfig extends CommonReceiverConfig {
  readonly type: 'webhook';
  readonly url: string;
  /** At most this many alerts per payload, the rest counted in truncatedAlerts (0 or unset: all). */
  readonly max_alerts?: number | undefined;
}

/** Problems with a webhook config, each naming its field; empty when it is valid. */
export function validateWebhookConfig(config: WebhookConfig): string[] {
  const problems: string[] = [];
  checkHttpUrl(config.url, 'url', problems);
  checkCommon(config, problems);
  const max: unknown = config.max_alerts;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 0)) problems.push('max_alerts: expected a non-negative integer');
  return problems;
}
