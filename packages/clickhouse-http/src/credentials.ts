import type { IncomingMessage } from 'node:http';
import { parseBasicAuthorization, sameSecret } from '@kiln/http';
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
  const basic = parseBasicAuthorization(request.headers.authorization);
  if (basic !== undefined) return basic;
  const user = url.searchParams.get('user');
  if (user !== null) return { user, password: url.searchParams.get('password') ?? '' };
  return undefined;
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
