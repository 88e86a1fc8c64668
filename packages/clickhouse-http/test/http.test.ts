import { request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, NativeSampleEncoder, SAMPLE_COLUMNS, type Store } from '@kiln/store';
import { serveClickHouseHttp, type ClickHouseHttpServer } from '../src/index.js';
import { recentWindowStart, sampleBatch, tempDir } from '@kiln/testkit';

const WRITER = { user: 'kiln', password: 's3cret' };
/** Refusals are what these tests expect: the client need not log them. */
const QUIET = { level: ClickHouseLogLevel.OFF };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
let server: ClickHouseHttpServer;
let anonymous: ClickHouseClient;

beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path });
  await store.migrate();
  await store.insertSamples(
    sampleBatch([0, 1, 2].map((gpu) => ({ ts: recentWindowStart(), host: 'seed', gpu, values: { temp_c: 60 + gpu } }))),
    'seed',
  );
  server = await serveClickHouseHttp(store, {
    listen: '127.0.0.1:0',
    writer: WRITER,
    readLimits: { maxExecutionTimeS: 1 },
  });
  anonymous = createClient({ url: server.url, log: QUIET });
});
afterAll(async () => {
  await anonymous.close();
  await server.close();
  await store.close();
  await dir.remove();
});

async function get(search: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/?${new URLSearchParams(search)}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function post(
  body: string | Uint8Array,
  search: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}/?${new URLSearchParams(search)}`, { method: 'POST', body, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const seedRows = async () =>
  Number((await store.query<{ n: number }>("SELECT count() AS n FROM kiln.gpu_samples WHERE host = 'seed'"))[0]!.n);

describe('ClickHouse HTTP interface', () => {
  it('answers /ping and / with Ok.', async () => {
    for (const path of ['/ping', '/']) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('Ok.\n');
    }
  });

  it('runs an anonymous SELECT from the URL or the body, with ClickHouse response headers', async () => {
    const byGet = await get({ query: 'SELECT count() FROM gpu_samples', database: 'kiln', query_id: 'q-1' });
    expect(byGet).toMatchObject({ status: 200, text: '3\n' });
    expect(byGet.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(byGet.headers.get('x-clickhouse-query-id')).toBe('q-1');
    expect(JSON.parse(byGet.headers.get('x-clickhouse-summary')!)).toMatchObject({ read_rows: expect.any(String) });

    const byPost = await post(
      'SELECT gpu, toFloat64(temp_c) AS t FROM kiln.gpu_samples ORDER BY gpu FORMAT JSONEachRow',
    );
    expect(byPost.status).toBe(200);
    expect(byPost.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(byPost.text).toBe('{"gpu":0,"t":60}\n{"gpu":1,"t":61}\n{"gpu":2,"t":62}\n');

    // The second line of defence under the statement check: the session itself is read-only.
    expect((await get({ query: "SELECT getSetting('readonly')" })).text).toBe('1\n');

    const withParams = await get({
      query: 'SELECT {who:String} AS who, {n:UInt8} + 1',
      param_who: "it\\'s\\tme",
      param_n: '41',
    });
    expect(withParams.text).toBe("it\\'s\\tme\t42\n");
  });

  it('serves @clickhouse/client: JSON rows, and Native bytes exactly as the engine writes them', async () => {
    const rows = await (
      await anonymous.query({ query: 'SELECT number AS n FROM numbers(3)', format: 'JSONEachRow' })
    ).json();
    expect(rows).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);

    const sql = 'SELECT number AS n, toString(number) AS s, [number] AS a FROM numbers(5) FORMAT Native';
    const viaHttp = await anonymous.exec({ query: sql });
    const embedded = await store.client.exec({ query: sql });
    const bytes = async (stream: AsyncIterable<Uint8Array>) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    const httpBytes = await bytes(viaHttp.stream);
    expect(httpBytes.length).toBeGreaterThan(0);
    expect(httpBytes.equals(await bytes(embedded.stream))).toBe(true);
  });

  it.each([
    ['INSERT', "INSERT INTO kiln.gpu_samples (ts, cluster, rack, host, gpu) VALUES (now(), 'c', 'r', 'seed', 9)"],
    ['DROP', 'DROP TABLE kiln.gpu_samples'],
    ['CREATE', 'CREATE TABLE kiln.evil (x UInt8) ENGINE = Memory'],
    ['ALTER', 'ALTER TABLE kiln.gpu_samples DELETE WHERE 1'],
    ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
    ['scalar file()', "SELECT file('/etc/passwd')"],
    ['url()', "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')"],
    ['s3()', "SELECT * FROM s3('http://127.0.0.1:9/b/k.csv')"],
    ['remote()', "SELECT * FROM remote('127.0.0.1:9000', system.one)"],
    ['SETTINGS readonly=0', 'SELECT 1 SETTINGS readonly = 0'],
    ['INTO OUTFILE', "SELECT 1 INTO OUTFILE '/tmp/kiln-outfile-test'"],
    ['two statements', 'SELECT 1; DROP TABLE kiln.gpu_samples'],
    ['a statement hidden after a comment', 'SELECT 1 -- x\n; DROP TABLE kiln.gpu_samples'],
    ['SET', 'SET readonly = 0'],
    ['SYSTEM', 'SYSTEM FLUSH LOGS'],
  ])('refuses an anonymous %s with 164 READONLY', async (_, sql) => {
    const response = await post(sql);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(response.text).toMatch(/^Code: 164\. DB::Exception: .*\(READONLY\)/s);
  });

  it('refuses readonly=0 as a URL setting, and reports the refusal to @clickhouse/client as ClickHouseError 164', async () => {
    const response = await get({ query: 'SELECT 1', readonly: '0' });
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('164');
    await expect(anonymous.command({ query: 'DROP TABLE kiln.gpu_samples' })).rejects.toMatchObject({
      code: '164',
      type: 'READONLY',
    });
    expect(await seedRows()).toBe(3);
  });

  it('lets the writer insert by POST, and treats its GET as a read', async () => {
    const ts = recentWindowStart();
    const insert = await post(
      `[${ts},"c","r","writer-insert",0]\n`,
      {
        query: 'INSERT INTO kiln.gpu_samples (ts, cluster, rack, host, gpu) FORMAT JSONCompactEachRow',
      },
      { authorization: basic(WRITER.user, WRITER.password) },
    );
    expect(insert.status).toBe(200);
    const viaHeaders = await post(
      `INSERT INTO kiln.gpu_samples (ts, cluster, rack, host, gpu) VALUES (${ts}, 'c', 'r', 'writer-insert', 1)`,
      {},
      { 'x-clickhouse-user': WRITER.user, 'x-clickhouse-key': WRITER.password },
    );
    expect(viaHeaders.status).toBe(200);
    const asGet = await get(
      {
        query: `INSERT INTO kiln.gpu_samples (ts, cluster, rack, host, gpu) VALUES (${ts}, 'c', 'r', 'writer-insert', 2)`,
      },
      { authorization: basic(WRITER.user, WRITER.password) },
    );
    expect(asGet.headers.get('x-clickhouse-exception-code')).toBe('164');
    const [row] = await store.query<{ n: number }>(
      "SELECT count() AS n FROM kiln.gpu_samples WHERE host = 'writer-insert'",
    );
    expect(Number(row!.n)).toBe(2);
  });

  it('answers wrong credentials with 516 AUTHENTICATION_FAILED, anonymous default user reads', async () => {
    for (const [user, password] of [
      [WRITER.user, 'wrong'],
      ['mallory', ''],
      ['default', 'guess'],
    ] as const) {
      const response = await get({ query: 'SELECT 1', user, password });
      expect(response.status).toBe(403);
      expect(response.headers.get('x-clickhouse-exception-code')).toBe('516');
      expect(response.text).toContain('(AUTHENTICATION_FAILED)');
    }
    expect((await get({ query: 'SELECT 1' }, { authorization: basic('default', '') })).text).toBe('1\n');
    const wrong = createClient({ url: server.url, username: WRITER.user, password: 'nope', log: QUIET });
    await expect(wrong.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516' });
    await wrong.close();
  });

  it('answers an unknown setting with 115, a bad statement with the engine’s own exception', async () => {
    const unknown = await get({ query: 'SELECT 1', no_such_setting: '1' });
    expect([unknown.status, unknown.headers.get('x-clickhouse-exception-code')]).toEqual([404, '115']);
    const missing = await get({ query: 'SELECT * FROM kiln.no_such_table' });
    expect([missing.status, missing.headers.get('x-clickhouse-exception-code')]).toEqual([404, '60']);
    expect(missing.text).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/s);
  });

  it('takes INSERT … FORMAT Native from the writer, as a ClickHouse server does, and refuses it from a reader', async () => {
    const body = new NativeSampleEncoder().encode(
      sampleBatch(
        [0, 1].map((gpu) => ({
          ts: recentWindowStart(),
          host: 'native-insert',
          gpu,
          values: { temp_c: 70.25 + gpu, power_w: 1_000 },
        })),
      ),
    );
    const query = `INSERT INTO kiln.gpu_samples (${SAMPLE_COLUMNS.join(', ')}) SETTINGS insert_deduplication_token = 'native:1' FORMAT Native`;
    const asReader = await post(body, { query });
    expect(asReader.headers.get('x-clickhouse-exception-code')).toBe('164');
    const writer = { authorization: basic(WRITER.user, WRITER.password) };
    expect((await post(body, { query }, writer)).status).toBe(200);
    // Gzipped, and a second time with the same token: deduplicated as on a server.
    expect((await post(gzipSync(body), { query }, { ...writer, 'content-encoding': 'gzip' })).status).toBe(200);
    const rows = await store.query<{ gpu: number; temp: string; power: string }>(
      "SELECT gpu, toString(temp_c) AS temp, toString(power_w) AS power FROM kiln.gpu_samples WHERE host = 'native-insert' ORDER BY gpu",
    );
    expect(rows).toEqual([
      { gpu: 0, temp: '70.3', power: '1000' }, // stored to a tenth of a degree
      { gpu: 1, temp: '71.3', power: '1000' },
    ]);
  });

  it('stops a reader’s query at the server’s time cap, whatever the request asks', async () => {
    const response = await get({ query: 'SELECT count() FROM system.numbers', max_execution_time: '3600' });
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('159');
    expect((await get({ query: 'SELECT 1' })).text).toBe('1\n');
  });

  it('runs reads within the read limits and at the lowest CPU priority, whatever the request asks', async () => {
    const settings =
      "SELECT getSetting('max_memory_usage'), getSetting('max_result_rows'), getSetting('os_thread_priority')";
    expect((await get({ query: settings, max_memory_usage: '0', os_thread_priority: '0' })).text).toBe(
      `${4 * 2 ** 30}\t1000000\t19\n`,
    );
    expect((await get({ query: settings, max_result_rows: '10' })).text).toBe(`${4 * 2 ** 30}\t10\t19\n`);
  });

  it('takes gzip request bodies and gzips responses when asked', async () => {
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/?enable_http_compression=1`,
        { method: 'POST', headers: { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end(gzipSync('SELECT 40 + 2'));
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toBe('42\n');
  });

  it('answers requests that arrive together, one engine query at a time', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get({ query: `SELECT ${i} * 2` })));
    expect(answers.map((a) => a.text)).toEqual(Array.from({ length: 12 }, (_, i) => `${i * 2}\n`));
  });

  it('is a store for another process: migrate (a no-op) and insertSamples through it with the writer’s credentials', async () => {
    const remote = await createStore({ dataDir: dir.path, url: server.url, ...WRITER });
    try {
      expect(remote.embedded).toBe(false);
      expect((await remote.migrate()).applied).toEqual([]);
      const batch = sampleBatch([
        { ts: recentWindowStart(), host: 'via-http', gpu: 0, values: { temp_c: 55.5, power_w: 900 } },
        { ts: recentWindowStart(), host: 'via-http', gpu: 1, values: { temp_c: 0 } },
      ]);
      await remote.insertSamples(batch, 'via-http:1');
      await remote.insertSamples(batch, 'via-http:1');
      const rows = await remote.query<{ gpu: number; temp: string | null; power: string | null }>(
        'SELECT gpu, toString(temp_c) AS temp, toString(power_w) AS power FROM kiln.gpu_samples WHERE host = {host:String} ORDER BY gpu',
        { host: 'via-http' },
      );
      expect(rows).toEqual([
        { gpu: 0, temp: '55.5', power: '900' },
        { gpu: 1, temp: '0', power: null },
      ]);
    } finally {
      await remote.close();
    }
  });
});
