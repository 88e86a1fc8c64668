import { checkHttpUrl, checkName } from '../config-checks.js';

/** A generic webhook that receives Alertmanager's webhook payload, version 4. */
export interface WebhookConfig {
  readonly type: 'webhook';
  readonly url: string;
  readonly name?: string;
}

/** Problems with a webhook config, each naming its field; empty when it is valid. */
export function validateWebhookConfig(config: WebhookConfig): string[] {
  const problems: string[] = [];
  checkHttpUrl(config.url, 'url', problems);
  checkName(config.name, problems);
  return problems;
}
