import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { credsAuthenticator } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startAgent } from '../src/index.js';
import { makeOperatorSetup, makeTlsFiles } from './nats-auth.js';
import { adminConnection, ADMIN, agentPermissions, quiet, readSubject, testConfig } from './support.js';

let dir: { path: string; remove(): Promise<void> };
const cleanup: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  dir = await tempDir('kiln-agent-sec-');
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await dir.remove();
});

/** Runs a sim agent for `host` with `nats` settings until it has published 3 messages; returns how many the stream holds. */
async function publishesAs(host: string, nats: Record<string, unknown>, jsm: JetStreamManager): Promise<number> {
  const agent = await startAgent(
    testConfig({
      nats,
      agent: { cluster: 'c1', rack: 'r1', host, source: 'sim', interval_ms: 100, spool_dir: join(dir.path, host) },
    }),
    { log: quiet },
  );
  try {
    await waitUntil(`${host} publishing`, () => agent.stats().published >= 3, 20_000);
  } finally {
    await agent.stop();
  }
  return (await readSubject(jsm, gpuSubject('c1', 'r1', host))).length;
}

describe('agent credentials', () => {
  it('connects over TLS with a client certificate, as an NKey user allowed only its own subject', async () => {
    const tls = makeTlsFiles(dir.path);
    const user = createUser();
    const seedFile = join(dir.path, 'h-nkey.seed');
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + '\n');
    const server = await startTestNatsServer(
      `tls { cert_file: "${tls.serverCert}", key_file: "${tls.serverKey}", ca_file: "${tls.ca}", verify: true, timeout: 2 }\n` +
        `authorization { users = [\n  { user: "${ADMIN.user}", password: "${ADMIN.pass}" }\n` +
        `  { nkey: "${user.getPublicKey()}", ${agentPermissions('c1', 'r1', 'h-nkey')} }\n] }\n`,
    );
    cleanup.push(() => server.dispose());
    const clientTls = { tls: { caFile: tls.ca, certFile: tls.clientCert, keyFile: tls.clientKey } };
    const admin = await adminConnection(server.url, clientTls);
    cleanup.push(() => admin.nc.close());
    const stored = await publishesAs(
      'h-nkey',
      {
        url: server.url,
        nkey_seed_file: seedFile,
        tls: { ca_file: tls.ca, cert_file: tls.clientCert, key_file: tls.clientKey },
      },
      admin.jsm,
    );
    expect(stored).toBeGreaterThanOrEqual(3);
  });

  it('connects with a token', async () => {
    const server = await startTestNatsServer('authorization { token: "kiln-test-token" }\n');
    cleanup.push(() => server.dispose());
    const admin = await adminConnection(server.url, { user: undefined, pass: undefined, token: 'kiln-test-token' });
    cleanup.push(() => admin.nc.close());
    const stored = await publishesAs('h-token', { url: server.url, token: 'kiln-test-token' }, admin.jsm);
    expect(stored).toBeGreaterThanOrEqual(3);
  });

  it('connects with a .creds file (JWT) of a user allowed only its own subject and inbox', async () => {
    const { serverConfig, creds } = makeOperatorSetup(dir.path, [
      { name: 'admin' },
      { name: 'h-jwt', pub: [gpuSubject('c1', 'r1', 'h-jwt')], sub: ['_INBOX_h-jwt.>'] },
    ]);
    const server = await startTestNatsServer(serverConfig);
    cleanup.push(() => server.dispose());
    const admin = await adminConnection(server.url, {
      user: undefined,
      pass: undefined,
      authenticator: credsAuthenticator(readFileSync(creds.admin!)),
    });
    cleanup.push(() => admin.nc.close());
    const stored = await publishesAs('h-jwt', { url: server.url, creds: creds['h-jwt'] }, admin.jsm);
    expect(stored).toBeGreaterThanOrEqual(3);
  });
});
