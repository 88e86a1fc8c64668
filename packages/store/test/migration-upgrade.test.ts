import { describe, expect, it } from 'vitest';
import { MIGRATIONS, type Store } from '../src/index.js';
import { migrate } from '../src/migrate.js';
import { DEFAULT_RETENTION } from '../src/migrations/migration.js';
import { renderStatement } from '../src/migrations/render-statement.js';
import { recentWindowStart, sampleBatch, type SampleRow } from '@kiln/testkit';
import { embeddedStoreForFile } from './helpers.js';

let store: Store;
embeddedStoreForFile((s) => {
  store = s;
});

/** Two hours of one GPU at one sample per 10 s, temperatures rising with time, one throttle event per hour. */
function twoHours(host: string, startMs: number): SampleRow[] {
  return Array.from({ length: 720 }, (_, i) => ({
    ts: startMs + i * 10_000,
    host,
    values: { temp_c: 50 + (i % 360) / 10, energy_j: 1e6 + i * 5000, clock_events: i % 360 === 7 ? 0x40 : 0 },
  }));
}

/** Inserts rows as a writer of schema version 1 did: only the columns that version has. */
async function insertVersion1(rows: readonly SampleRow[], token: string): Promise<void> {
  const values = rows.map(
    (r) =>
      `(fromUnixTimestamp64Milli(${r.ts}), 'eus2-ai1', 'r0042', '${r.host}', 0, '', '', ${r.values?.temp_c}, ${r.values?.energy_j}, ${r.values?.clock_events})`,
  );
  await store.command(
    `INSERT INTO kiln.gpu_samples (ts, cluster, rack, host, gpu, uuid, job, temp_c, energy_j, clock_events)
     SETTINGS insert_deduplication_token = '${token}' VALUES ${values.join(', ')}`,
  );
}

const counts = async (table: string) =>
  Number((await store.query<{ n: number }>(`SELECT toUInt64(count()) AS n FROM kiln.${table}`))[0]!.n);

/** Per hour, from the hourly rollup and from the raw samples: the same aggregates. */
async function hourly(table: 'gpu_rollup_1h' | 'gpu_samples', host: string) {
  const sql =
    table === 'gpu_rollup_1h'
      ? `SELECT ts, toUInt64(sum(samples)) AS samples, toUInt64(sum(temp_c_count)) AS n, round(sum(temp_c_sum), 3) AS total,
                toString(min(temp_c_min)) AS lo, toString(max(temp_c_max)) AS hi, toString(max(energy_j_max)) AS energy,
                groupBitOr(clock_events_or) AS clocks
         FROM kiln.gpu_rollup_1h WHERE host = {host:String} GROUP BY ts ORDER BY ts`
      : `SELECT toStartOfHour(toDateTime(ts)) AS ts, toUInt64(count()) AS samples, toUInt64(count(temp_c)) AS n,
                round(sum(toFloat64(temp_c)), 3) AS total, toString(min(temp_c)) AS lo, toString(max(temp_c)) AS hi,
                toString(max(energy_j)) AS energy, groupBitOr(clock_events) AS clocks
         FROM kiln.gpu_samples WHERE host = {host:String} GROUP BY ts ORDER BY ts`;
  return store.query<Record<string, unknown>>(sql, { host });
}

describe('upgrading a version 1 database in place', () => {
  // Whole hours, so that the two hours of data fill two hourly windows.
  const start = Math.floor((recentWindowStart() - 3 * 3_600_000) / 3_600_000) * 3_600_000;

  it('keeps every row, backfills the hourly rollup from the minute one, then keeps it current', async () => {
    const v1 = await migrate(store, { database: 'kiln' }, { retention: DEFAULT_RETENTION }, MIGRATIONS.slice(0, 1));
    expect(v1.version).toBe(1);
    await insertVersion1(twoHours('before-upgrade', start), 'upgrade:1');
    const before = {
      raw: await counts('gpu_samples'),
      r10s: await counts('gpu_rollup_10s'),
      r1m: await counts('gpu_rollup_1m'),
    };
    expect(before.raw).toBe(720);

    const upgrade = await store.migrate();
    expect(upgrade.applied.map((m) => m.version)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect({
      raw: await counts('gpu_samples'),
      r10s: await counts('gpu_rollup_10s'),
      r1m: await counts('gpu_rollup_1m'),
    }).toEqual(before);
    const backfilled = await hourly('gpu_rollup_1h', 'before-upgrade');
    expect(backfilled).toHaveLength(2);
    expect(backfilled).toEqual(await hourly('gpu_samples', 'before-upgrade'));

    // New samples reach the hourly rollup through the minute one.
    await store.insertSamples(sampleBatch(twoHours('after-upgrade', start)), 'upgrade:2');
    expect(await hourly('gpu_rollup_1h', 'after-upgrade')).toEqual(await hourly('gpu_samples', 'after-upgrade'));
  });

  it('runs interrupted migrations again without counting the backfill twice', async () => {
    const hourlyRows = await hourly('gpu_rollup_1h', 'before-upgrade');
    // As if the process died after the statements, before recording the versions: they all run again.
    for (const migration of MIGRATIONS.slice(1)) {
      for (const statement of migration.statements({ retention: DEFAULT_RETENTION })) {
        for (const sql of renderStatement(statement, { database: 'kiln' })) await store.command(sql);
      }
    }
    expect(await hourly('gpu_rollup_1h', 'before-upgrade')).toEqual(hourlyRows);
    expect((await store.migrate()).applied).toEqual([]);
  });

  it('leaves the upgraded database with the schema of a database created at the latest version', async () => {
    await migrate(store, { database: 'fresh' }, { retention: DEFAULT_RETENTION });
    const schema = async (database: string) =>
      (
        await store.query<{ name: string; ddl: string }>(
          `SELECT name, replaceAll(create_table_query, '${database}.', 'db.') AS ddl FROM system.tables WHERE database = '${database}' ORDER BY name`,
        )
      ).map((t) => ({ ...t, ddl: t.ddl.replace(/UUID '[^']+' /g, '') }));
    expect(await schema('kiln')).toEqual(await schema('fresh'));
    const [codecs] = await store.query<{ n: number }>(
      "SELECT toUInt32(count()) AS n FROM system.columns WHERE database = 'kiln' AND table LIKE 'gpu_rollup_%' AND compression_codec LIKE '%ZSTD%'",
    );
    expect(codecs!.n).toBeGreaterThan(3 * 70);
  });
});
