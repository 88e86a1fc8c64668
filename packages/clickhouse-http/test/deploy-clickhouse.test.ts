import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, DEFAULT_RETENTION, MIGRATIONS, schemaStatements, type Store } from '@kiln/store';
import { tempDir } from '@kiln/testkit';
import { serveClickHouseHttp, type ClickHouseHttpServer } from '../src/index.js';

const DEPLOY = fileURLToPath(new URL('../../../deploy/clickhouse/', import.meta.url));
const read = (path: string) => readFileSync(`${DEPLOY}${path}`, 'utf8');
const XML_FILES = ['users.d/kiln-users.xml', 'cluster/config.d/kiln-cluster.xml', 'cluster/keeper/keeper.xml'];

/** Tags of an XML document that must nest properly; throws where they do not. */
function checkWellFormed(xml: string, file: string): void {
  const stack: string[] = [];
  const body = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  for (const [, closing, name, , selfClosing] of body.matchAll(
    /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w-]+="[^"]*")*)\s*(\/?)>/g,
  )) {
    if (selfClosing === '/') continue;
    if (closing === '') stack.push(name!);
    else if (stack.pop() !== name) throw new Error(`${file}: </${name}> closes nothing open`);
  }
  if (stack.length > 0) throw new Error(`${file}: <${stack.join('>, <')}> never closed`);
  if (/<(?![/!A-Za-z_?])/.test(body)) throw new Error(`${file}: a stray <`);
}

const inner = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);

interface ComposeService {
  hostname?: string;
  environment?: Record<string, string>;
}
const compose = parse(read('cluster/docker-compose.yaml')) as { services: Record<string, ComposeService> };

let store: Store;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path });
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

describe('deploy/clickhouse', () => {
  it('holds well-formed XML', () => {
    for (const file of XML_FILES) expect(() => checkWellFormed(read(file), file)).not.toThrow();
    expect(() => checkWellFormed('<a><b></a></b>', 'bad')).toThrow(/closes nothing/);
  });

  it('describes one cluster: every replica a server with its shard and replica macros, every Keeper in the ensemble', () => {
    const config = read('cluster/config.d/kiln-cluster.xml');
    const [cluster] = inner(inner(config, 'remote_servers')[0]!, 'kiln');
    expect(cluster).toBeDefined();
    expect(inner(config, 'macros')[0]).toContain('<cluster>kiln</cluster>');
    const shards = inner(cluster!, 'shard').map((shard) => inner(shard, 'host'));
    expect(shards).toEqual([
      ['ch-s1-r1', 'ch-s1-r2'],
      ['ch-s2-r1', 'ch-s2-r2'],
    ]);
    shards.forEach((hosts, i) => {
      for (const host of hosts) {
        expect(compose.services[host]?.environment, host).toMatchObject({
          KILN_SHARD: String(i + 1).padStart(2, '0'),
          KILN_REPLICA: host,
        });
      }
    });
    const keepers = inner(inner(config, 'zookeeper')[0]!, 'host');
    expect(inner(read('cluster/keeper/keeper.xml'), 'hostname')).toEqual(keepers);
    keepers.forEach((k, i) => expect(compose.services[k]?.environment).toEqual({ KEEPER_ID: String(i + 1) }));
  });

  it('grants statements that parse, the reader only SELECT and readonly', async () => {
    const users = read('users.d/kiln-users.xml');
    for (const grant of inner(users, 'query')) {
      // A user's grants in users.xml leave out the grantee (`TO user`): the user they are listed under.
      const [parsed] = await store.query<{ sql: string }>('SELECT formatQuery({g:String}) AS sql', {
        g: `${grant} TO someone`,
      });
      expect(parsed!.sql).toMatch(/^GRANT /);
    }
    const grafana = inner(inner(users, 'users')[0]!, 'grafana')[0]!;
    expect(inner(grafana, 'query')).toEqual(['GRANT SELECT ON kiln.*']);
    expect(inner(inner(users, 'profiles')[0]!, 'grafana_reader')[0]).toContain('<readonly>1</readonly>');
  });
});

describe('the migration tool', () => {
  const tool = `${DEPLOY}migrate.mjs`;

  it('prints the cluster DDL that migrations run', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      tool,
      '--print',
      '--cluster',
      'kiln',
      '--raw-days',
      '7',
    ]);
    const expected = schemaStatements(
      { database: 'kiln', cluster: 'kiln' },
      { retention: { ...DEFAULT_RETENTION, rawDays: 7 } },
    );
    expect(stdout).toBe(expected.map((s) => `${s};\n`).join('\n'));
  });

  it('migrates a server through its HTTP interface with the writer’s credentials', async () => {
    const served: ClickHouseHttpServer = await serveClickHouseHttp(store, {
      listen: '127.0.0.1:0',
      writer: { user: 'kiln', password: 'p4ss' },
    });
    try {
      const env = { ...process.env, KILN_CLICKHOUSE_PASSWORD: 'p4ss' };
      const run = promisify(execFile);
      const first = await run(process.execPath, [tool, '--url', served.url, '--user', 'kiln'], { env });
      const latest = MIGRATIONS.at(-1)!.version;
      expect(first.stdout).toMatch(new RegExp(`^applied 1: initial schema\\n[\\s\\S]*schema version ${latest}\\n$`));
      const again = await run(process.execPath, [tool, '--url', served.url, '--user', 'kiln'], { env });
      expect(again.stdout).toBe(`schema version ${latest}\n`);
    } finally {
      await served.close();
    }
  });
});
