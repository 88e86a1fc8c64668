import { z } from 'zod';

/** A URL Kiln POSTs or GETs with fetch(), which speaks http and https only: ftp://… or a bare host fails at load. */
export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http or https URL' });
