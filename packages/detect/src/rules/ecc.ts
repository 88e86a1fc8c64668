import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/** GpuEccDoubleBitErrors: ecc_dbe_vol increased (a counter that goes down restarted; never a negative delta). */
export const eccRule = z.object({ ...ruleTiming(0, 600_000), severity: severity('critical') }).strict();

export type EccRule = z.infer<typeof eccRule>;
