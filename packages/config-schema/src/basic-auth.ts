import { z } from 'zod';
import { SECRET } from './secret.js';

/** HTTP basic auth credentials, the password a secret. */
export const basicAuth = z
  .object({
    user: z.string().min(1).describe('User name.'),
    password: z.string().min(1).meta(SECRET).describe('Password.'),
  })
  .strict();

export type BasicAuthConfig = z.infer<typeof basicAuth>;
