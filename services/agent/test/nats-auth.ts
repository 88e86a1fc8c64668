import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makeTlsFiles(dir: string): TlsFiles {
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=kiln-test-ca',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    openssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=kiln-test-${name}`);
    writeFileSync(f(`${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      f(`${name}.ext`),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

const b64url = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url');

/** A NATS JWT (header ed25519-nkey) with `nats` claims, signed by `issuer`. */
function natsJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = {
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('base64url');
  const signed = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${b64url(issuer.sign(new TextEncoder().encode(signed)))}`;
}

export interface UserSpec {
  name: string;
  /** Subjects it may publish to / subscribe to; omitted = anything. */
  pub?: string[];
  sub?: string[];
}

/**
 * Decentralised (operator/JWT) auth, the way `nsc` sets it up: an operator, one account with JetStream, and a .creds
 * file per user. Returns the server configuration to add and the creds file of each user.
 */
export function makeOperatorSetup(
  dir: string,
  users: readonly UserSpec[],
): { serverConfig: string; creds: Record<string, string> } {
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount();
  const operatorJwt = natsJwt(operator, operator.getPublicKey(), 'kiln-test', {
    type: 'operator',
    system_account: system.getPublicKey(),
  });
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accountJwt = natsJwt(operator, account.getPublicKey(), 'KILN', {
    type: 'account',
    limits: { ...unlimited, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
  });
  // JetStream needs a system account in operator mode.
  const systemJwt = natsJwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: unlimited });
  const creds: Record<string, string> = {};
  for (const spec of users) {
    const user = createUser();
    const perms: Record<string, unknown> = { subs: -1, data: -1, payload: -1, type: 'user' };
    if (spec.pub) perms.pub = { allow: spec.pub };
    if (spec.sub) perms.sub = { allow: spec.sub };
    const jwt = natsJwt(account, user.getPublicKey(), spec.name, perms);
    const file = join(dir, `${spec.name}.creds`);
    writeFileSync(
      file,
      `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
        `-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`,
    );
    creds[spec.name] = file;
  }
  const serverConfig =
    `operator: "${operatorJwt}"\nsystem_account: ${system.getPublicKey()}\nresolver: MEMORY\n` +
    `resolver_preload: {\n  ${account.getPublicKey()}: "${accountJwt}"\n  ${system.getPublicKey()}: "${systemJwt}"\n}\n`;
  return { serverConfig, creds };
}
