import type { CommonReceiverConfig } from '../config-checks.js';
import { checkCommon, checkHttpUrl } from '../config-checks.js';

/**
 * Prometheus re-sends firing alerts at least once a minute (--rules.alert.resend-delay) and marks them valid for four
 * times that, so an Alertmanager that stops hearing of them resolves them after four minutes.
 */
export const ALERTMANAGER_RESEND_INTERVAL_MS = 60_000;

/** An existing Alertmanager that Kiln forwards its alerts to, through its API v2. */
export interface AlertmanagerConfig extends CommonReceiverConfig {
  readonly type: 'alertmanager';
  /** Base URL; alerts are posted to <url>/api/v2/alerts. */
  readonly url: string;
  readonly basic_auth?: { readonly user: string; readonly password: string } | undefined;
  readonly resend_interval_ms?: number | undefined;
}

export function validateAlertmanagerConfig(config: AlertmanagerConfig): string[] {
  const problems: string[] = [];
  checkHttpUrl(config.url, 'url', problems);
  checkCommon(config, problems);
  const auth = config.basic_auth as { user?: unknown; password?: unknown } | undefined;
  if (auth !== undefined && (typeof auth?.user !== 'string' || typeof auth?.password !== 'string' || auth.user === '')) {
    problems.push('basic_auth: expected { user, password }');
  }
  const every: unknown = config.resend_interval_ms;
  if (every !== undefined && (typeof every !== 'number' || !Number.isInteger(every) || every < 1000)) {
    problems.push('resend_interval_ms: expected an integer of at least 1000');
  }
  return problems;
}
