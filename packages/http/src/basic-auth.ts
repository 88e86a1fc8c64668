import { createHash, timingSafeEqual } from 'node:crypto';

/** HTTP Basic credentials (RFC 7617). */
export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

/** The Authorization header value that sends `credentials`. */
export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/**
 * The credentials of an Authorization header in the Basic scheme (the scheme name in any case); undefined for no
 * header or another scheme. A value without a colon is a user without a password.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1
    ? { user: decoded, password: '' }
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Compares secrets in constant time: hashing first makes the lengths equal, so not even the length leaks. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether an Authorization header carries exactly `expected`, user and password compared in constant time. */
export function hasBasicCredentials(header: string | undefined, expected: BasicCredentials): boolean {
  const given = parseBasicAuthorization(header);
  if (given === undefined) return false;
  // Both compared whatever the first says, so the time taken does not tell a right user from a wrong one.
  const user = sameSecret(given.user, expected.user);
  const password = sameSecret(given.password, expected.password);
  return user && password;
}
