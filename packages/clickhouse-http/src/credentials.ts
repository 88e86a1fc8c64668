import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ClickHouseHttpError, ErrorCode } from './clickhouse-exception.js';

export interface Credentials {
  user: string;
  password: string;
}

/** What a request may do: the writer may run anything, everyone else one read statement. */
export type Role = 'writer' | 'reader';

/**
 * The credentials a request carries, the ways ClickHouse's HTTP interface takes them: X-ClickHouse-User /
 * X-ClickHouse-Key headers, HTTP Basic auth, or `user` / `password` URL parameters. Undefined when it carries none.
 */
export function requestCredentials(request: IncomingMessage, url: URL): Credentials | undefined {
  const headerUser = request.headers['x-clickhouse-user'];
  if (typeof headerUser === 'string') {
    const key = request.headers['x-clickhouse-key'];
    return { user: headerUser, password: typeof key === 'string' ? key : '' };
  }
  const authorization = request.headers.authorization;
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1
      ? { user: decoded, password: '' }
      : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const user = url.searchParams.get('user');
  if (user !== null) return { user, password: url.searchParams.get('password') ?? '' };
  return undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The role of a request. No credentials, or the anonymous `default` user without a password (what clients send when
 * given none), read; the writer's user with its password writes; anything else is refused like a wrong password.
 */
export function roleOf(credentials: Credentials | undefined, writer: Credentials | undefined): Role {
  if (credentials === undefined) return 'reader';
  if (writer !== undefined && credentials.user === writer.user) {
    if (sameSecret(credentials.password, writer.password)) return 'writer';
  } else if ((credentials.user === '' || credentials.user === 'default') && credentials.password === '') {
    return 'reader';
  }
  throw new ClickHouseHttpError(
    ErrorCode.AUTHENTICATION_FAILED,
    `${credentials.user || 'default'}: Authentication failed: password is incorrect, or there is no user with such name`,
  );
}
