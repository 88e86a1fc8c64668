import type { Alert } from '../../alert.js';
import { isFlapping } from '../../flap.js';
import type { Notification } from '../../notify/notification.js';
import { truncate } from '../text.js';

/** A message for a Slack incoming webhook: `text` is the notification and fallback, `blocks` the layout. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
  readonly channel?: string;
  readonly username?: string;
  readonly icon_emoji?: string;
}

export type SlackBlock =
  | { readonly type: 'section'; readonly text: { readonly type: 'mrkdwn'; readonly text: string } }
  | { readonly type: 'context'; readonly elements: readonly { readonly type: 'mrkdwn'; readonly text: string }[] };

/** Slack rejects a section text over 3000 characters. */
const SECTION_MAX_CHARS = 3000;
/** Alerts listed one per line; a rack-wide incident of 72 GPUs is summarised after these. */
const LISTED_ALERTS = 20;

export interface SlackOptions {
  readonly channel?: string | undefined;
  readonly username?: string | undefined;
  readonly icon_emoji?: string | undefined;
}

/**
 * One message per notification, titled like Alertmanager's default Slack template (`[FIRING:2] GpuHot …`), listing
 * the group's alerts: firing first, then resolved.
 */
export function encodeSlackMessage(notification: Notification, options: SlackOptions = {}): SlackMessage {
  const firing = notification.alerts.filter((a) => a.status === 'firing');
  const resolved = notification.alerts.filter((a) => a.status === 'resolved');
  const { alertname, ...rest } = notification.groupLabels;
  const scope = Object.entries(rest)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const name = alertname ?? notification.alerts[0]?.labels['alertname'] ?? 'alerts';
  const title = `[${notification.status.toUpperCase()}${notification.status === 'firing' ? `:${firing.length}` : ''}] ${name}${scope ? ` ${scope}` : ''}`;
  const ordered = [...firing, ...resolved];
  const lines = ordered.slice(0, LISTED_ALERTS).map(alertLine);
  if (ordered.length > LISTED_ALERTS) lines.push(`…and ${ordered.length - LISTED_ALERTS} more`);
  const blocks: SlackBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${title}*`, SECTION_MAX_CHARS) } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), SECTION_MAX_CHARS) } },
  ];
  if (notification.externalURL) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${notification.externalURL}|Kiln alerter> · ${notification.reason}` }],
    });
  }
  return {
    text: title,
    blocks,
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.username ? { username: options.username } : {}),
    ...(options.icon_emoji ? { icon_emoji: options.icon_emoji } : {}),
  };
}

function alertLine(alert: Alert): string {
  const { labels, annotations } = alert;
  const mark =
    alert.status === 'resolved' ? ':white_check_mark:' : isFlapping(alert) ? ':warning: flapping' : ':red_circle:';
  const where = [labels['host'], labels['gpu'] === undefined ? undefined : `gpu ${labels['gpu']}`]
    .filter(Boolean)
    .join(' ');
  const text = annotations['summary'] || labels['alertname'] || 'alert';
  return `${mark} ${escapeMrkdwn(text)}${where ? ` (${escapeMrkdwn(where)})` : ''}${alert.generatorURL ? ` <${alert.generatorURL}|source>` : ''}`;
}

/** Slack's mrkdwn needs &, < and > escaped; everything else is shown as written. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
