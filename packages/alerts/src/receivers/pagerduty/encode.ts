import type { Alert } from '../../alert.js';
import { isFlapping } from '../../flap.js';
import { formatRfc3339 } from '../../time.js';
import { truncate } from '../text.js';

/** PagerDuty's limit on payload.summary. */
export const PAGERDUTY_SUMMARY_MAX_CHARS = 1024;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyPayload {
  readonly summary: string;
  readonly source: string;
  readonly severity: PagerDutySeverity;
  readonly timestamp: string;
  readonly component?: string;
  readonly group?: string;
  readonly class?: string;
  readonly custom_details: {
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly fingerprint: string;
  };
}

export interface PagerDutyTriggerEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly client: string;
  readonly client_url?: string;
  readonly payload: PagerDutyPayload;
  readonly links?: readonly { readonly href: string; readonly text: string }[];
}

/** Resolving needs nothing but the key of the open alert. */
export interface PagerDutyResolveEvent {
  readonly routing_key: string;
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTriggerEvent | PagerDutyResolveEvent;

/**
 * One PagerDuty alert per Kiln alert: the key derives from the fingerprint, so re-sent triggers (retries, replays,
 * HA peers) fold into the open PagerDuty alert and the resolve closes exactly it.
 */
export function pagerDutyDedupKey(fingerprint: string): string {
  return `kiln-${fingerprint}`;
}

const SEVERITY: Readonly<Record<string, PagerDutySeverity>> = { critical: 'critical', warning: 'warning', info: 'info' };

export function encodePagerDutyEvent(alert: Alert, routingKey: string, externalURL: string): PagerDutyEvent {
  const dedup_key = pagerDutyDedupKey(alert.fingerprint);
  if (alert.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key };

  const { labels, annotations } = alert;
  const payload: PagerDutyPayload = {
    summary: truncate(`${isFlapping(alert) ? '[flapping] ' : ''}${annotations['summary'] || labels['alertname'] || 'Kiln alert'}`, PAGERDUTY_SUMMARY_MAX_CHARS),
    source: labels['host'] || labels['instance'] || labels['rack'] || labels['cluster'] || 'kiln',
    severity: SEVERITY[labels['severity'] ?? ''] ?? 'error',
    timestamp: formatRfc3339(alert.startsAt),
    ...(labels['gpu'] === undefined ? {} : { component: `gpu${labels['gpu']}` }),
    ...(labels['rack'] === undefined ? {} : { group: labels['rack'] }),
    ...(labels['category'] === undefined ? {} : { class: labels['category'] }),
    custom_details: { labels, annotations, fingerprint: alert.fingerprint },
  };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    client: 'Kiln',
    ...(externalURL ? { client_url: externalURL } : {}),
    payload,
    ...(alert.generatorURL ? { links: [{ href: alert.generatorURL, text: 'Source' }] } : {}),
  };
}
