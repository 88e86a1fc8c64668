import { z } from 'zod';

/** Activity of a GPU: the window mean of sm_active, or util_pct / 100 where sm_active is not read. */
export const activity = z.number().min(0).max(1);
export const peerBusy = activity
  .default(0.5)
  .describe('The peer group (job, else rack) is busy when its median activity reaches this.');
