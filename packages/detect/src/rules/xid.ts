import { z } from 'zod';
import { ruleTiming } from './rule-keys.js';

const xidCode = z.number().int().min(1).max(65535);

/** GpuXidError: the GPU's last Xid is one of the listed codes (NVIDIA's Xid catalog). */
export const xidRule = z
  .object({
    ...ruleTiming(0, 300_000),
    fatal_codes: z
      .array(xidCode)
      .default([46, 48, 62, 64, 74, 79, 95, 109, 119, 120, 136, 140, 144, 145, 146, 147, 148, 149, 150, 155, 156])
      .describe("Paged as critical: the FATAL class of NVIDIA's Xid catalog."),
    warning_codes: z
      .array(xidCode)
      .default([63, 92, 94, 121])
      .describe(
        'Raised as warnings: hardware Xids that do not stop the GPU. Application Xids (13, 31, 43, 45) are not listed.',
      ),
  })
  .strict();

export type XidRule = z.infer<typeof xidRule>;
