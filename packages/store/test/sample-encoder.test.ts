import { METRIC_COUNT, METRICS } from '@kiln/wire';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/insert/byte-writer.js';
import { encodeJsonRows } from '../src/insert/json-rows.js';
import { insertSettings, insertStatement } from '../src/insert/insert-statement.js';
import { SAMPLE_COLUMNS, SampleEncoder } from '../src/index.js';
import { sampleBatch } from '@kiln/testkit';

const scaled = (value: number, decimals: number): string => {
  const out = new ByteWriter(8);
  out.reserve(48);
  out.scaledInteger(value, decimals);
  return out.take().toString();
};

describe('ByteWriter.scaledInteger', () => {
  it.each([
    [0, 0, '0'],
    [7, 0, '7'],
    [713, 1, '71.3'],
    [710, 1, '71.0'],
    [5, 3, '0.005'],
    [-405, 1, '-40.5'],
    [-0, 2, '0.00'],
    [1764151200123, 0, '1764151200123'],
    [9e18, 0, '9000000000000000000'],
    [1e17, 2, '1000000000000000.00'],
    [-(2 ** 60), 1, '-115292150460684697.6'],
  ])('%d scaled by 10^-%d is %s', (value, decimals, text) => {
    expect(scaled(value, decimals)).toBe(text);
  });
});

describe('SampleEncoder', () => {
  it('writes one JSON array per row in SAMPLE_COLUMNS order: labels, rounded values, null for absent', () => {
    const values = Object.fromEntries(METRICS.map((m) => [m.name, m.min]));
    const batch = sampleBatch([
      {
        ts: 1764151200123.4,
        cluster: 'c"1',
        host: 'h',
        gpu: 3,
        job: 'j',
        values: { ...values, temp_c: 71.26, power_w: 1043.449, sm_active: 0.9125 },
      },
      { ts: 1764151201000, host: 'h', gpu: 4, values: { xid: 79, temp_c: 151 /* beyond the catalog */ } },
    ]);
    const lines = new SampleEncoder().encode(batch).toString().split('\n');
    expect(lines.pop()).toBe('');
    const [first, second] = lines.map((l) => JSON.parse(l) as unknown[]);
    expect(first).toHaveLength(SAMPLE_COLUMNS.length);
    expect(first!.slice(0, 7)).toEqual([
      1764151200123,
      'c"1',
      'r0042',
      'h',
      3,
      'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac12003',
      'j',
    ]);
    const column = (row: unknown[] | undefined, name: string) => row![SAMPLE_COLUMNS.indexOf(name)];
    expect([column(first, 'temp_c'), column(first, 'power_w'), column(first, 'sm_active')]).toEqual([
      71.3, 1043.4, 0.913,
    ]);
    expect(column(first, 'energy_j')).toBe(0);
    expect(second!.slice(7).filter((v) => v !== null)).toEqual([79]);
    expect(column(second, 'temp_c')).toBeNull();
  });

  it('encodes only the rows asked for', () => {
    const batch = sampleBatch([0, 1, 2, 3].map((gpu) => ({ ts: 1000 + gpu, gpu })));
    const body = new SampleEncoder().encode(batch, 1, 3).toString();
    expect(
      body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as number[])[0]),
    ).toEqual([1001, 1002]);
    expect(METRIC_COUNT + 7).toBe(SAMPLE_COLUMNS.length);
  });
});

describe('insert statements and generic rows', () => {
  it('carries the token and the insert settings in the statement itself', () => {
    expect(insertStatement('kiln.t', ['a', 'b'], insertSettings("tok'\\1"), 'JSONCompactEachRow')).toBe(
      "INSERT INTO kiln.t (a, b) SETTINGS insert_deduplication_token = 'tok\\'\\\\1', async_insert = 0, " +
        'deduplicate_blocks_in_dependent_materialized_views = 1, optimize_on_insert = 0, input_format_parallel_parsing = 0 ' +
        'FORMAT JSONCompactEachRow',
    );
    expect(() => insertStatement('kiln.t; DROP', ['a'], insertSettings('t'), 'Native')).toThrow(/invalid table/);
    expect(() => insertStatement('t', ['a b'], insertSettings('t'), 'Native')).toThrow(/invalid identifier/);
    expect(() => insertSettings('')).toThrow(/token/);
    expect(
      insertStatement(
        'kiln.t',
        ['a'],
        insertSettings('tok', { distributed_foreground_insert: 1 }),
        'JSONCompactEachRow',
      ),
    ).toBe(
      "INSERT INTO kiln.t (a) SETTINGS insert_deduplication_token = 'tok', async_insert = 0, " +
        'deduplicate_blocks_in_dependent_materialized_views = 1, optimize_on_insert = 0, input_format_parallel_parsing = 0, ' +
        'distributed_foreground_insert = 1 FORMAT JSONCompactEachRow',
    );
  });

  it('encodes rows as JSON arrays, dates as epoch ms and big integers exactly', () => {
    expect(encodeJsonRows([[new Date(1764151200123), 2n ** 64n - 1n, Number.NaN, 'x']])).toBe(
      '[1764151200123,"18446744073709551615",null,"x"]\n',
    );
  });
});
