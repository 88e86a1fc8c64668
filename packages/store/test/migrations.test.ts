import { METRICS } from '@kiln/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, DEFAULT_RETENTION, MIGRATIONS, type Migration, type Store } from '../src/index.js';
import { migrate } from '../src/migrate.js';
import { recentWindowStart, sampleBatch, tempDir } from '@kiln/testkit';

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;

beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path, retention: { rawDays: 7 } });
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

const tables = async (): Promise<string[]> =>
  (await store.query<{ name: string }>("SELECT name FROM system.tables WHERE database = 'kiln' ORDER BY name")).map(
    (t) => t.name,
  );

describe('migrations', () => {
  it('applies every migration once, and a second run is a no-op', async () => {
    const first = await store.migrate();
    expect(first.applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const afterFirst = await tables();
    expect(afterFirst).toEqual([
      'alerts',
      'dead_letters',
      'gpu_events',
      'gpu_rollup_10s',
      'gpu_rollup_10s_mv',
      'gpu_rollup_1h',
      'gpu_rollup_1h_mv',
      'gpu_rollup_1m',
      'gpu_rollup_1m_mv',
      'gpu_samples',
      'schema_migrations',
    ]);

    const second = await store.migrate();
    expect(second).toEqual({ applied: [], version: first.version });
    expect(await tables()).toEqual(afterFirst);
    const recorded = await store.query<{ version: number; n: number }>(
      'SELECT version, toUInt32(count()) AS n FROM kiln.schema_migrations GROUP BY version ORDER BY version',
    );
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
  });

  it('takes the raw retention from the options', async () => {
    const [table] = await store.query<{ create: string }>(
      "SELECT create_table_query AS create FROM system.tables WHERE database = 'kiln' AND name = 'gpu_samples'",
    );
    expect(table!.create).toContain('toIntervalDay(7)');
  });

  it('has a gpu_samples column per catalog metric that holds the whole catalog range', async () => {
    const columns = await store.query<{ name: string; type: string }>('DESCRIBE TABLE kiln.gpu_samples');
    const byName = new Map(columns.map((c) => [c.name, c.type]));
    for (const metric of METRICS) expect(byName.get(metric.name), metric.name).toMatch(/^Nullable\(/);

    const ts = recentWindowStart();
    const extremes = (pick: 'min' | 'max') => Object.fromEntries(METRICS.map((m) => [m.name, m[pick]]));
    await store.insertSamples(
      sampleBatch([
        { ts, gpu: 1, values: extremes('min') },
        { ts, gpu: 2, values: extremes('max') },
      ]),
      'catalog-range',
    );
    const rows = await store.query<Record<string, string | number>>(
      `SELECT gpu, ${METRICS.map((m) => `toString(${m.name}) AS ${m.name}`).join(', ')} FROM kiln.gpu_samples ORDER BY gpu`,
    );
    expect(rows).toHaveLength(2);
    for (const metric of METRICS) {
      expect(Number(rows[0]![metric.name]), `${metric.name} min`).toBe(metric.min);
      expect(Number(rows[1]![metric.name]), `${metric.name} max`).toBe(metric.max);
    }
  });

  it('builds no column statistics on the tables every sample writes, where the engine would build them on merges', async () => {
    const columns = await store.query<{ table: string; statistics: string }>(
      "SELECT table, statistics FROM system.columns WHERE database = 'kiln' AND table IN ('gpu_samples', 'gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h', 'alerts')",
    );
    const withStatistics = (table: string) => columns.filter((c) => c.table === table && c.statistics !== '').length;
    for (const table of ['gpu_samples', 'gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h'])
      expect(withStatistics(table), table).toBe(0);
    // The engine's default, kept elsewhere (and the reason for migration 4).
    expect(withStatistics('alerts')).toBeGreaterThan(0);
  });

  it('skips an alter of a MergeTree setting that the server does not have', async () => {
    const laterServer: Migration = {
      version: 99,
      name: 'a setting of a later server',
      statements: () => [
        {
          kind: 'alter',
          table: 'gpu_samples',
          actions: ['MODIFY SETTING no_such_setting = 1'],
          onlyWhereSettingExists: 'no_such_setting',
        },
      ],
    };
    await expect(store.command('ALTER TABLE kiln.gpu_samples MODIFY SETTING no_such_setting = 1')).rejects.toThrow(
      /no_such_setting/,
    );
    const report = await migrate(store, { database: 'later' }, { retention: DEFAULT_RETENTION }, [
      MIGRATIONS[0]!,
      laterServer,
    ]);
    expect(report.applied.map((m) => m.version)).toEqual([1, 99]);
  });

  it('finds the schema current after the process restarts on the same data directory', async () => {
    await store.close();
    store = await createStore({ dataDir: dir.path });
    expect((await store.migrate()).applied).toEqual([]);
    expect(await tables()).toContain('gpu_samples');
  });
});
