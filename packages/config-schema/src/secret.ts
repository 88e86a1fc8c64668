import { z } from 'zod';

/**
 * Marks a key as a secret (`.meta(SECRET)`). @kiln/config then takes it also as the path of a file holding it
 * (`<key>_file` in the YAML, `KILN_<…>_FILE` in the environment) and keeps its value out of what it prints.
 */
export const SECRET = { secret: true } as const;

/** Whether `schema` itself (not a wrapper around it) carries the SECRET mark. */
export function hasSecretMark(schema: z.ZodType): boolean {
  return z.globalRegistry.get(schema)?.secret === true;
}
