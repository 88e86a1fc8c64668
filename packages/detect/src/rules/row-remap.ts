import { z } from 'zod';
import { ruleTiming, severity } from './rule-keys.js';

/** GpuRowRemapFailure: row_remap_failure is set. */
export const rowRemapRule = z.object({ ...ruleTiming(0, 0), severity: severity('critical') }).strict();

export type RowRemapRule = z.infer<typeof rowRemapRule>;
