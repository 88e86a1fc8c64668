import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '@kiln/store';
import { serveClickHouseHttp, type ClickHouseHttpServer } from '../src/index.js';
import { tempDir } from '@kiln/testkit';

// clickhouse-go (Grafana's data source) asks for Native with client_protocol_version and decodes at the server's
// revision: block info before each block, and a custom-serialization byte after each column's type.
const CLICKHOUSE_GO_REVISION = '54460';
const BLOCK_INFO = Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]);

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
let server: ClickHouseHttpServer;

beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path });
  // Stored values, so that every query reads the same bytes for a column (a computed Nullable's hidden values vary).
  await store.command(
    `CREATE TABLE default.layouts (${COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')}) ENGINE = MergeTree ORDER BY u8`,
  );
  await store.command(
    `INSERT INTO default.layouts SELECT ${COLUMNS.map(([, , value]) => value).join(', ')} FROM numbers(4)`,
  );
  server = await serveClickHouseHttp(store, { listen: '127.0.0.1:0' });
});
afterAll(async () => {
  await server.close();
  await store.close();
  await dir.remove();
});

async function native(query: string, revision?: string, extra: Record<string, string> = {}): Promise<Buffer> {
  const search = new URLSearchParams({ query, default_format: 'Native', ...extra });
  if (revision !== undefined) search.set('client_protocol_version', revision);
  const response = await fetch(`${server.url}/?${search}`);
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(body.toString());
  return body;
}

/** Reads a LEB128 varint and a length-prefixed string, the Native header fields. */
function varint(bytes: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; ; i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if ((bytes[i]! & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
}
function headerEnd(bytes: Buffer, at: number): number {
  const [nameLength, afterName] = varint(bytes, at);
  const [typeLength, afterType] = varint(bytes, afterName + nameLength);
  return afterType + typeLength;
}

/** One column of a one-block, one-column revision-0 result: its name+type bytes and its data bytes. */
function singleColumn(block: Buffer): { rows: number; header: Buffer; data: Buffer } {
  const [, afterColumns] = varint(block, 0);
  const [rows, afterRows] = varint(block, afterColumns);
  const end = headerEnd(block, afterRows);
  return { rows, header: block.subarray(afterRows, end), data: block.subarray(end) };
}

/** Columns of every layout the rewrite walks: [name, type, value for row `number`]. */
const COLUMNS: [string, string, string][] = [
  ['u8', 'UInt8', 'number'],
  ['s', 'String', "repeat('x', number)"],
  ['ns', 'Nullable(String)', 'if(number % 2 = 0, NULL, toString(number))'],
  ['lc', 'LowCardinality(String)', "concat('host-', toString(number % 3))"],
  ['lcn', 'LowCardinality(Nullable(String))', 'if(number = 1, NULL, toString(number % 2))'],
  ['arr', 'Array(UInt32)', 'range(number)'],
  ['arr_lc', 'Array(LowCardinality(String))', 'arrayMap(i -> toString(i % 2), range(number))'],
  ['map', 'Map(String, UInt64)', "map('a', number, 'b', number * 2)"],
  ['tup', 'Tuple(a UInt8, b String)', 'tuple(number, toString(number))'],
  ['dt64', "DateTime64(3, 'UTC')", 'toDateTime64(1764151200 + number, 3)'],
  ['dec', 'Decimal(18, 2)', 'number / 3'],
  ['fixed', 'FixedString(3)', "'abc'"],
  ['enum', "Enum8('a' = 1, 'b' = 2)", "if(number % 2 = 0, 'a', 'b')"],
  ['uuid', 'UUID', "'3f2a9c1e-7b4d-11ef-9a10-0242ac120002'"],
  ['arr_ndec', 'Array(Nullable(Decimal(5, 1)))', '[number, NULL]'],
];
/** Plus a column no table can hold. */
const SELECTED = [...COLUMNS.map(([name]) => name), 'NULL AS nothing'];

describe('Native at a client protocol revision', () => {
  it('leaves Native untouched for plain HTTP clients', async () => {
    const plain = await native('SELECT toUInt8(7) AS x');
    expect(plain).toEqual(Buffer.from([1, 1, 1, 0x78, 5, ...Buffer.from('UInt8'), 7]));
  });

  it('adds block info and a serialization byte per column, copying every type’s data unchanged', async () => {
    const parts = await Promise.all(
      SELECTED.map(async (column) => singleColumn(await native(`SELECT ${column} FROM default.layouts ORDER BY u8`))),
    );
    for (const [i, part] of parts.entries()) expect(part.rows, SELECTED[i]).toBe(4);

    const all = await native(`SELECT ${SELECTED.join(', ')} FROM default.layouts ORDER BY u8`, CLICKHOUSE_GO_REVISION);
    const expected = Buffer.concat([
      BLOCK_INFO,
      Buffer.from([SELECTED.length, 4]),
      ...parts.flatMap((p) => [p.header, Buffer.from([0]), p.data]),
    ]);
    expect(all.equals(expected)).toBe(true);
  });

  it('lays out every block of a multi-block result', async () => {
    const body = await native('SELECT number FROM numbers(10)', CLICKHOUSE_GO_REVISION, { max_block_size: '4' });
    const blocks: number[] = [];
    let at = 0;
    while (at < body.length) {
      expect(body.subarray(at, at + 8)).toEqual(BLOCK_INFO);
      const [columns, afterColumns] = varint(body, at + 8);
      const [rows, afterRows] = varint(body, afterColumns);
      expect(columns).toBe(1);
      const end = headerEnd(body, afterRows);
      expect(body[end]).toBe(0);
      blocks.push(rows);
      at = end + 1 + rows * 8;
    }
    expect(at).toBe(body.length);
    expect(blocks.reduce((a, b) => a + b, 0)).toBe(10);
    expect(blocks.length).toBeGreaterThan(1);
  });

  it('answers the server-hello query clickhouse-go opens a connection with', async () => {
    const hello = await native('SELECT displayName(), version(), revision(), timezone()', CLICKHOUSE_GO_REVISION);
    expect(hello.subarray(0, 8)).toEqual(BLOCK_INFO);
    expect(hello.subarray(8, 10)).toEqual(Buffer.from([4, 1]));
  });

  it('refuses types whose layout it does not know instead of sending a garbled block', async () => {
    const response = await fetch(
      `${server.url}/?${new URLSearchParams({ query: "SELECT '{}'::JSON AS j", default_format: 'Native', client_protocol_version: CLICKHOUSE_GO_REVISION })}`,
    );
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('48');
  });
});
