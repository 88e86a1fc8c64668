import { readFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type NatsConnection, type ConnectionOptions } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';

export type NatsSection = KilnConfig['nats'];

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
    reconnectTimeWait: 500,
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

export async function connectNats(section: NatsSection, opts: ConnectOptions): Promise<NatsConnection> {
  return connect(await natsConnectionOptions(section, opts));
}
