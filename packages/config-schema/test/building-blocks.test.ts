import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { basicAuth, durationSchema, hasSecretMark, httpUrl, milliseconds, SECRET } from '../src/index.js';

describe('configuration building blocks', () => {
  it('takes only URLs fetch() can post to', () => {
    expect(httpUrl.safeParse('https://events.pagerduty.com/v2/enqueue').success).toBe(true);
    expect(httpUrl.safeParse('http://127.0.0.1:9093').success).toBe(true);
    for (const bad of ['ftp://hooks.example/x', 'hooks.slack.com/services/T0', 'not a url']) {
      expect(httpUrl.safeParse(bad).error?.issues[0]?.message, bad).toBe('expected an http or https URL');
    }
  });

  it('reads durations in Kiln syntax or milliseconds, and _ms keys as whole milliseconds', () => {
    expect(durationSchema.parse('1h30m')).toBe(5_400_000);
    expect(durationSchema.parse(250)).toBe(250);
    expect(durationSchema.safeParse('5 minutes').success).toBe(false);
    expect(milliseconds.safeParse(1.5).success).toBe(false);
  });

  it('marks secrets where config looks for them: on the key itself, and the basic-auth password', () => {
    expect(hasSecretMark(z.string().meta(SECRET))).toBe(true);
    expect(hasSecretMark(z.string())).toBe(false);
    expect(hasSecretMark(basicAuth.shape.password)).toBe(true);
    expect(hasSecretMark(basicAuth.shape.user)).toBe(false);
  });
});
