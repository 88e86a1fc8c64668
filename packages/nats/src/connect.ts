import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NatsConnection,
  type ConnectionOptions,
} from '@nats-io/nats-core';

/**
 * What connecting reads of the `nats` configuration section (validated by @kiln/config, whose section satisfies this):
 * declared here so that @kiln/nats needs nothing of the configuration package, which sits above it.
 */
export interface NatsSection {
  readonly url?: string | string[] | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly token?: string | undefined;
  readonly creds?: string | undefined;
  readonly nkey_seed_file?: string | undefined;
  readonly tls?:
    | {
        readonly ca_file?: string | undefined;
        readonly cert_file?: string | undefined;
        readonly key_file?: string | undefined;
      }
    | undefined;
}

export interface ConnectOptions {
  /** Connection name, shown by the server (`kiln-aggregator@host`). */
  name: string;
  /** Overrides nats.url (kiln up passes the URL of the server it started). */
  servers?: string | string[];
  /** Reply-subject prefix for least-privilege users (agents get `_INBOX_<host>`). */
  inboxPrefix?: string;
}

/**
 * Builds nats.js connection options from the `nats` config section: servers, user/password, token, a .creds file, an
 * NKey seed file, TLS. Every Kiln process connects through it, agents and services alike.
 */
export async function natsConnectionOptions(section: NatsSection, opts: ConnectOptions): Promise<ConnectionOptions> {
  const servers = opts.servers ?? section.url ?? 'nats://127.0.0.1:4222';
  const options: ConnectionOptions = {
    servers,
    name: opts.name,
    // Services keep trying for ever: a NATS restart must never take Kiln down with it.
    maxReconnectAttempts: -1,
    reconnectTimeWait: RETRY_MS,
    waitOnFirstConnect: true,
  };
  if (section.user !== undefined) options.user = section.user;
  if (section.password !== undefined) options.pass = section.password;
  if (section.token !== undefined) options.token = section.token;
  const authenticators: Authenticator[] = [];
  if (section.creds !== undefined) authenticators.push(credsAuthenticator(await readFile(section.creds)));
  if (section.nkey_seed_file !== undefined) {
    const seed = (await readFile(section.nkey_seed_file, 'utf8')).trim();
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  if (authenticators.length > 0) options.authenticator = authenticators;
  if (section.tls !== undefined) {
    const { ca_file, cert_file, key_file } = section.tls;
    options.tls = {
      ...(ca_file !== undefined ? { caFile: ca_file } : {}),
      ...(cert_file !== undefined ? { certFile: cert_file } : {}),
      ...(key_file !== undefined ? { keyFile: key_file } : {}),
    };
  }
  if (opts.inboxPrefix !== undefined) options.inboxPrefix = opts.inboxPrefix;
  return options;
}

const RETRY_MS = 500;
/** One attempt at the first connection (each server once) gives up on a server that does not answer within this. */
const ATTEMPT_TIMEOUT_MS = 5_000;
/** While NATS stays away, "waiting for NATS" is repeated this often, not at every attempt. */
const WAITING_NOTICE_EVERY_MS = 30_000;

/**
 * How the first connection is made. A one-shot command gives up after `giveUpAfterMs` (NatsUnreachableError); a
 * service keeps trying for ever and is told through `onWaiting` (at the first failure, then every 30 s) so that an
 * unreachable NATS is never a silent hang. After the first connection either reconnects for ever.
 */
export type FirstConnect =
  | { readonly giveUpAfterMs: number }
  | { readonly onWaiting: (servers: string, err: Error) => void };

/** NATS could not be reached within a one-shot command's patience. */
export class NatsUnreachableError extends Error {
  constructor(
    readonly servers: string,
    cause: unknown,
  ) {
    super(
      `cannot reach NATS at ${servers}: ${cause instanceof Error ? cause.message : String(cause)}; is the server running, and is nats.url (KILN_NATS_URL) right?`,
    );
    this.name = 'NatsUnreachableError';
  }
}

/** A one-shot command's patience with an unreachable NATS. */
export const ONE_SHOT_CONNECT_MS = 5_000;

export async function connectNats(
  section: NatsSection,
  opts: ConnectOptions,
  first: FirstConnect = { giveUpAfterMs: ONE_SHOT_CONNECT_MS },
): Promise<NatsConnection> {
  const options = await natsConnectionOptions(section, opts);
  const servers = [options.servers ?? []].flat().join(', ');
  // Each attempt tries every server once; the loop below is what waits (nats.js alone would wait without a word).
  const attempt = (timeout: number): Promise<NatsConnection> =>
    connect({ ...options, waitOnFirstConnect: false, timeout });
  if ('giveUpAfterMs' in first) {
    try {
      return await attempt(first.giveUpAfterMs);
    } catch (err) {
      throw new NatsUnreachableError(servers, err);
    }
  }
  let noticeAt = -Infinity;
  for (;;) {
    try {
      return await attempt(ATTEMPT_TIMEOUT_MS);
    } catch (err) {
      if (Date.now() - noticeAt >= WAITING_NOTICE_EVERY_MS) {
        noticeAt = Date.now();
        first.onWaiting(servers, err instanceof Error ? err : new Error(String(err)));
      }
      await sleep(RETRY_MS);
    }
  }
}
