import type { RateLimit, Receiver } from './receiver.js';

/** Checks shared by the receiver configs; each appends a readable problem to `problems`. */

export function checkHttpUrl(value: unknown, field: string, problems: string[]): void {
  if (typeof value !== 'string') {
    problems.push(`${field}: expected an http(s) URL, got ${typeof value}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${field}: not a URL`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${field}: expected http or https, got ${url.protocol}`);
}

/** Options every receiver config takes. */
export interface CommonReceiverConfig {
  /** What routes call it; derived from the type and destination when unset. */
  readonly name?: string | undefined;
  /** Whether resolved alerts are sent (default true, except Slack). */
  readonly send_resolved?: boolean | undefined;
  /** Requests per minute the destination accepts, with a burst allowance. */
  readonly rate_limit?: { readonly per_minute: number; readonly burst: number } | undefined;
}

export function checkCommon(config: CommonReceiverConfig, problems: string[]): void {
  const { name, send_resolved, rate_limit } = config as Record<string, unknown>;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 128)) {
    problems.push('name: expected a non-empty string of at most 128 characters');
  }
  if (send_resolved !== undefined && typeof send_resolved !== 'boolean') problems.push('send_resolved: expected true or false');
  if (rate_limit !== undefined) {
    const r = rate_limit as Record<string, unknown> | null;
    const perMinute = r?.['per_minute'];
    const burst = r?.['burst'];
    if (typeof perMinute !== 'number' || !(perMinute > 0)) problems.push('rate_limit.per_minute: expected a positive number');
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) problems.push('rate_limit.burst: expected a positive integer');
  }
}

/** The Receiver fields the common options set, with the integration's defaults where the config is silent. */
export function commonReceiverFields(
  config: CommonReceiverConfig,
  defaults: { readonly sendResolved: boolean; readonly rateLimit?: RateLimit },
): Pick<Receiver, 'sendResolved' | 'rateLimit'> {
  const rateLimit = config.rate_limit ? { perMinute: config.rate_limit.per_minute, burst: config.rate_limit.burst } : defaults.rateLimit;
  return { sendResolved: config.send_resolved ?? defaults.sendResolved, ...(rateLimit ? { rateLimit } : {}) };
}
