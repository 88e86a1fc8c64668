import type { CommonReceiverConfig } from '../config-checks.js';
import { checkCommon, checkHttpUrl } from '../config-checks.js';

/** Slack's incoming webhooks take "no more than one message per second", with short bursts. */
export const SLACK_RATE_LIMIT = { perMinute: 60, burst: 1 } as const;

/** A Slack incoming webhook. */
export interface SlackConfig extends CommonReceiverConfig {
  readonly type: 'slack';
  /** https://hooks.slack.com/services/T…/B…/… (a secret). */
  readonly url: string;
  /** Overrides the webhook's channel where the Slack app allows it. */
  readonly channel?: string | undefined;
  readonly username?: string | undefined;
  readonly icon_emoji?: string | undefined;
}

export function validateSlackConfig(config: SlackConfig): string[] {
  const problems: string[] = [];
  checkHttpUrl(config.url, 'url', problems);
  checkCommon(config, problems);
  for (const field of ['channel', 'username', 'icon_emoji'] as const) {
    const v: unknown = config[field];
    if (v !== undefined && (typeof v !== 'string' || v === '')) problems.push(`${field}: expected a non-empty string`);
  }
  return problems;
}
