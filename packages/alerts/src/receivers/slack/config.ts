import { z } from 'zod';
import { httpUrl, SECRET } from '@kiln/config-schema';
import { commonReceiverKeys } from '../common-config.js';

/** Slack's incoming webhooks take "no more than one message per second", with short bursts. */
export const SLACK_RATE_LIMIT = { perMinute: 60, burst: 1 } as const;

/** A Slack incoming webhook. */
export const slackConfigSchema = z
  .object({
    type: z.literal('slack').describe('A Slack incoming webhook.'),
    ...commonReceiverKeys,
    // https://hooks.slack.com/services/T…/B…/…: whoever holds it can post to the channel.
    url: httpUrl.meta(SECRET).describe('Incoming webhook URL (a secret).'),
    // Where the Slack app allows it.
    channel: z.string().min(1).optional().describe("Channel instead of the webhook's own."),
    username: z.string().min(1).optional().describe('Name the message is posted under.'),
    icon_emoji: z.string().min(1).optional().describe("Emoji shown as the poster's icon, e.g. :fire:."),
  })
  .strict();

export type SlackConfig = z.infer<typeof slackConfigSchema>;
