import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertSettings } from '../src/insert/insert-statement.js';
import { NativeSampleEncoder, SAMPLE_COLUMNS, SampleEncoder, type Store } from '../src/index.js';
import { recentWindowStart, sampleBatch, type SampleRow } from '@kiln/testkit';
import { embeddedStoreForFile } from './helpers.js';

/** Rows at the edges of what gpu_samples keeps: rounding, negatives, nulls, counters past 2^53, non-ASCII labels. */
function edgeRows(startMs: number): SampleRow[] {
  return [
    {
      ts: startMs + 17,
      gpu: 0,
      values: { temp_c: 71.25, power_w: 1043.46, energy_j: 98_765_432_109_876.54, nvlink_bytes: 2 ** 60 + 2 ** 12 },
    },
    {
      ts: startMs + 1_003,
      gpu: 1,
      job: 'llm-prétrain-训练',
      values: { temp_c: -12.34, mem_temp_c: NaN, util_pct: 99.95, sm_active: 0.8765 },
    },
    // Out of the catalog's range: stored as null, like an absent metric.
    { ts: startMs + 2_000, gpu: 2, values: { temp_c: 151, power_w: -1, clock_events: 0x40, xid: 79, ecc_dbe_vol: 3 } },
    {
      ts: startMs + 2_999,
      gpu: 3,
      host: 'r0042-t08',
      values: { fb_used_mib: 4_194_304, mem_clock_mhz: 19_999, row_remap_failure: 1 },
    },
  ];
}

describe('Native inserts into the embedded engine', () => {
  let store: Store;
  let dataDir = '';
  embeddedStoreForFile((s, dir) => {
    store = s;
    dataDir = dir;
  });

  const rows = async (table: string): Promise<unknown[]> =>
    store.query(`SELECT ${SAMPLE_COLUMNS.join(', ')} FROM kiln.${table} ORDER BY host, gpu, ts`);

  it('store the same rows as the JSONCompactEachRow body a server gets', async () => {
    await store.migrate();
    const batch = sampleBatch(edgeRows(recentWindowStart()));
    await store.insertSamples(batch, 'native-edges');
    await store.command('CREATE TABLE kiln.json_copy AS kiln.gpu_samples');
    await store.engine!.insert(
      'kiln.json_copy',
      SAMPLE_COLUMNS,
      new SampleEncoder().encode(batch),
      insertSettings('json-edges'),
    );
    const native = await rows('gpu_samples');
    expect(native).toHaveLength(4);
    expect(native).toEqual(await rows('json_copy'));
    expect(native[0]).toMatchObject({ temp_c: 71.3, power_w: 1043.5 });
    const [big] = await store.query<{ nvlink: string; energy: string }>(
      "SELECT toString(nvlink_bytes) AS nvlink, toString(energy_j) AS energy FROM kiln.gpu_samples WHERE gpu = 0 AND host = 'r0042-t07'",
    );
    // Both past 2^53 as the integers written (energy in hundredths): written through BigInt, stored exactly.
    expect(big).toEqual({ nvlink: String(2n ** 60n + 2n ** 12n), energy: '98765432109876.54' });
    expect(native[1]).toMatchObject({ temp_c: -12.3, mem_temp_c: null, util_pct: 100, job: 'llm-prétrain-训练' });
    expect(native[2]).toMatchObject({ temp_c: null, power_w: null, clock_events: 64, xid: 79, ecc_dbe_vol: 3 });
    expect(native[3]).toMatchObject({ fb_used_mib: 4_194_304, mem_clock_mhz: 19_999, row_remap_failure: 1 });
    // No body file is left behind.
    expect(await readdir(join(dataDir, 'clickhouse', 'kiln_insert_bodies'))).toEqual([]);
  });

  it('store the same rows as JSON for a body of several blocks of rows, and for a range of a batch', async () => {
    await store.migrate();
    // The encoder reads metrics 512 rows at a time: 1,300 rows end inside a block, the range starts inside one.
    const start = recentWindowStart();
    const edges = edgeRows(start);
    const batch = sampleBatch(
      Array.from({ length: 1_300 }, (_, i) => {
        const edge = edges[i % edges.length]!;
        return { ...edge, ts: start + i * 10, host: `r${String(Math.floor(i / 4)).padStart(4, '0')}-t01` };
      }),
    );
    const copies = async (name: string, from: number, to: number): Promise<[unknown[], unknown[]]> => {
      await store.command(`CREATE TABLE kiln.native_${name} AS kiln.gpu_samples`);
      await store.command(`CREATE TABLE kiln.json_${name} AS kiln.gpu_samples`);
      const native = new NativeSampleEncoder().encode(batch, from, to);
      await store.engine!.insertNative(`kiln.native_${name}`, SAMPLE_COLUMNS, native, insertSettings(`native-${name}`));
      await store.engine!.insert(
        `kiln.json_${name}`,
        SAMPLE_COLUMNS,
        new SampleEncoder().encode(batch, from, to),
        insertSettings(`json-${name}`),
      );
      return [await rows(`native_${name}`), await rows(`json_${name}`)];
    };
    const [whole, wholeJson] = await copies('blocks', 0, 1_300);
    expect(whole).toHaveLength(1_300);
    expect(whole).toEqual(wholeJson);
    const [range, rangeJson] = await copies('range', 300, 1_250);
    expect(range).toHaveLength(950);
    expect(range).toEqual(rangeJson);
  });

  it('are deduplicated by their token, rollups included', async () => {
    const batch = sampleBatch(edgeRows(recentWindowStart() + 600_000));
    const counts = async () =>
      store.query<{ raw: string; r10: string; r1m: string; r1h: string }>(
        'SELECT (SELECT count() FROM kiln.gpu_samples) AS raw, (SELECT sum(samples) FROM kiln.gpu_rollup_10s) AS r10, ' +
          '(SELECT sum(samples) FROM kiln.gpu_rollup_1m) AS r1m, (SELECT sum(samples) FROM kiln.gpu_rollup_1h) AS r1h',
      );
    const before = (await counts())[0]!;
    await store.insertSamples(batch, 'native-dedup');
    await store.insertSamples(batch, 'native-dedup');
    const once = (await counts())[0]!;
    for (const n of Object.values(once).map((v, i) => Number(v) - Number(Object.values(before)[i]))) expect(n).toBe(4);
    await store.insertSamples(batch, 'native-dedup-2');
    const twice = (await counts())[0]!;
    for (const n of Object.values(twice).map((v, i) => Number(v) - Number(Object.values(before)[i]))) expect(n).toBe(8);

    // An insert cut short after gpu_samples and the 10 s rollup (the minute view, and the hour view fed by it, not
    // reached), as a process killed mid-insert leaves it: the same rows again under the same token fill in only what
    // is missing.
    const later = sampleBatch(edgeRows(recentWindowStart() + 1_200_000));
    await store.command('DETACH TABLE kiln.gpu_rollup_1m_mv');
    await store.insertSamples(later, 'native-cut-short');
    await store.command('ATTACH TABLE kiln.gpu_rollup_1m_mv');
    const cut = (await counts())[0]!;
    expect([
      Number(cut.raw) - Number(twice.raw),
      Number(cut.r10) - Number(twice.r10),
      Number(cut.r1m) - Number(twice.r1m),
    ]).toEqual([4, 4, 0]);
    await store.insertSamples(later, 'native-cut-short');
    const filled = (await counts())[0]!;
    for (const n of Object.values(filled).map((v, i) => Number(v) - Number(Object.values(twice)[i]))) expect(n).toBe(4);
  });
});
