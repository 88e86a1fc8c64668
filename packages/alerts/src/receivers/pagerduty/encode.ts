import type { Alert } from '../../alert.js';
import { hashString } from '../../fingerprint.js';
import { isFlapping } from '../../flap.js';
import type { Notification } from '../../notify/notification.js';
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
  readonly custom_details: PagerDutyAlertDetails | PagerDutyGroupDetails;
}

interface PagerDutyAlertDetails {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly fingerprint: string;
}

/** A group incident's details: the group's labels, and each firing alert's labels and summary (the first 50). */
interface PagerDutyGroupDetails {
  readonly group_labels: Readonly<Record<string, string>>;
  readonly firing: number;
  readonly resolved: number;
  readonly alerts: readonly { readonly labels: Readonly<Record<string, string>>; readonly summary: string }[];
}

/** Alerts listed in a group incident's details: PagerDuty caps an event at 512 KB. */
const GROUP_DETAILS_ALERTS = 50;

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

const SEVERITY: Readonly<Record<string, PagerDutySeverity>> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};

export function encodePagerDutyEvent(alert: Alert, routingKey: string, externalURL: string): PagerDutyEvent {
  const dedup_key = pagerDutyDedupKey(alert.fingerprint);
  if (alert.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key };

  const { labels, annotations } = alert;
  const payload: PagerDutyPayload = {
    summary: truncate(
      `${isFlapping(alert) ? '[flapping] ' : ''}${annotations['summary'] || labels['alertname'] || 'Kiln alert'}`,
      PAGERDUTY_SUMMARY_MAX_CHARS,
    ),
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

/** One PagerDuty alert per group: the key derives from the group key, so the group's notifications fold into it. */
export function pagerDutyGroupDedupKey(groupKey: string): string {
  return `kiln-group-${hashString(groupKey)}`;
}

/**
 * Alertmanager's PagerDuty behaviour, for `incident: group`: one event per notification of a group, a trigger while
 * any of its alerts fires (titled like Alertmanager's default, `[FIRING:2] GpuHot rack=r0042`) and a resolve once all
 * have resolved. Severity and source come from the labels the group's alerts share.
 */
export function encodePagerDutyGroupEvent(notification: Notification, routingKey: string): PagerDutyEvent {
  const dedup_key = pagerDutyGroupDedupKey(notification.groupKey);
  const firing = notification.alerts.filter((a) => a.status === 'firing');
  if (notification.status === 'resolved' || firing.length === 0)
    return { routing_key: routingKey, event_action: 'resolve', dedup_key };
  const common = commonLabels(firing);
  const { alertname, ...scope } = notification.groupLabels;
  const title = `[FIRING:${firing.length}] ${[alertname ?? common['alertname'] ?? '', ...Object.entries(scope).map(([k, v]) => `${k}=${v}`)].join(' ').trim()}`;
  const first = firing[0];
  const payload: PagerDutyPayload = {
    summary: truncate(
      firing.length === 1 && first?.annotations['summary'] ? `${title}: ${first.annotations['summary']}` : title,
      PAGERDUTY_SUMMARY_MAX_CHARS,
    ),
    source: common['host'] || common['instance'] || common['rack'] || common['cluster'] || 'kiln',
    severity: SEVERITY[common['severity'] ?? ''] ?? 'error',
    timestamp: formatRfc3339(Math.min(...firing.map((a) => a.startsAt))),
    ...(common['rack'] === undefined ? {} : { group: common['rack'] }),
    ...(common['category'] === undefined ? {} : { class: common['category'] }),
    custom_details: {
      group_labels: notification.groupLabels,
      firing: firing.length,
      resolved: notification.alerts.length - firing.length,
      alerts: firing
        .slice(0, GROUP_DETAILS_ALERTS)
        .map((a) => ({ labels: a.labels, summary: a.annotations['summary'] ?? '' })),
    },
  };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    client: 'Kiln',
    ...(notification.externalURL ? { client_url: notification.externalURL } : {}),
    payload,
  };
}

/** The labels every alert carries with the same value. */
function commonLabels(alerts: readonly Alert[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (first === undefined) return {};
  return Object.fromEntries(Object.entries(first.labels).filter(([k, v]) => rest.every((a) => a.labels[k] === v)));
}
