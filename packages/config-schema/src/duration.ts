import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '@kiln/duration';

/** A `…_ms` key: a whole, non-negative number of milliseconds. */
export const milliseconds = z.number().int().nonnegative();

/** A duration in Kiln's syntax ("500ms", "30s", "5m", "1h30m", "2d"; see @kiln/duration) or a number of milliseconds. */
export const durationSchema = z
  .union(
    [
      z.number().int().nonnegative(),
      z
        .string()
        .regex(DURATION_PATTERN)
        .refine((s) => parseDuration(s) !== undefined)
        .transform((s) => parseDuration(s) as number),
    ],
    { error: 'expected a duration such as 500ms, 30s, 5m, 4h, or a number of milliseconds' },
  )
  .meta({ title: 'duration: 500ms, 30s, 5m, 1h30m, 2d, or milliseconds' });
