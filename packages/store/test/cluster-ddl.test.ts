import { describe, expect, it } from 'vitest';
import { createStore, DEFAULT_RETENTION, schemaStatements, type Store } from '../src/index.js';
import { embeddedStoreForFile } from './helpers.js';

// No cluster is available to tests: the statements are checked as text, and each is parsed by the engine's own
// parser (formatQuery), which is the parser a cluster's servers run.
const cluster = schemaStatements({ database: 'kiln', cluster: 'kiln_cluster' }, { retention: DEFAULT_RETENTION });
const single = schemaStatements({ database: 'kiln' }, { retention: DEFAULT_RETENTION });
const creating = (name: string) =>
  cluster.find((s) => new RegExp(`^CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS kiln\\.${name} `).test(s));

let store: Store;
let dataDir: string;
embeddedStoreForFile((s, d) => {
  store = s;
  dataDir = d;
});

describe('the schema for a cluster', () => {
  it('runs every DDL statement ON CLUSTER', () => {
    expect(cluster[0]).toBe('CREATE DATABASE IF NOT EXISTS kiln ON CLUSTER kiln_cluster');
    const ddl = cluster.slice(1).filter((s) => !s.startsWith('INSERT'));
    expect(ddl).toHaveLength(cluster.length - 2); // all but the database and the backfill
    for (const sql of ddl)
      expect(sql).toMatch(/^(CREATE [A-Z ]+|ALTER TABLE|DROP VIEW IF EXISTS) kiln\.\w+ ON CLUSTER kiln_cluster\b/);
  });

  it('alters the local tables, where the rows are', () => {
    const alters = cluster.filter((s) => s.startsWith('ALTER'));
    expect(alters.map((s) => /^ALTER TABLE kiln\.(\w+) /.exec(s)![1])).toEqual([
      'gpu_rollup_10s_local',
      'gpu_rollup_1m_local',
      'gpu_rollup_1h_local',
      'gpu_samples_local',
      'gpu_rollup_10s_local',
      'gpu_rollup_1m_local',
      'gpu_rollup_1h_local',
      // Columns added: to each node's table, and to the Distributed table in front of it, which has a column list too.
      'gpu_samples_local',
      'gpu_samples',
      'gpu_rollup_10s_local',
      'gpu_rollup_10s',
      'gpu_rollup_1m_local',
      'gpu_rollup_1m',
      'gpu_rollup_1h_local',
      'gpu_rollup_1h',
    ]);
    expect(alters[0]).toContain('MODIFY COLUMN energy_j_max CODEC(Delta, ZSTD(1))');
    expect(alters[3]).toContain("MODIFY SETTING auto_statistics_types = ''");
    expect(alters[7]).toContain('ADD COLUMN IF NOT EXISTS temp_margin_c Nullable(Decimal(5, 1)) CODEC(ZSTD(1))');
    expect(alters[8]).toContain('ADD COLUMN IF NOT EXISTS temp_margin_c Nullable(Decimal(5, 1)),');
    expect(alters[8]).not.toContain('CODEC');
  });

  it('replaces the rollup views on every node when a migration changes their columns', () => {
    const drops = cluster.filter((s) => s.startsWith('DROP'));
    expect(drops).toEqual(
      ['gpu_rollup_10s_mv', 'gpu_rollup_1m_mv', 'gpu_rollup_1h_mv'].map(
        (v) => `DROP VIEW IF EXISTS kiln.${v} ON CLUSTER kiln_cluster`,
      ),
    );
    const lastView = cluster.findLast((s) =>
      s.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS kiln.gpu_rollup_10s_mv '),
    );
    expect(lastView).toContain('max(fabric_clique) AS fabric_clique_max');
    expect(lastView).toContain('FROM kiln.gpu_samples_local');
  });

  it('keeps each shard’s rows in a Replicated local table and puts a Distributed table under the name queries use', () => {
    expect(creating('gpu_samples_local')).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/kiln/gpu_samples_local', '{replica}')",
    );
    expect(creating('gpu_samples')).toBe(
      'CREATE TABLE IF NOT EXISTS kiln.gpu_samples ON CLUSTER kiln_cluster AS kiln.gpu_samples_local\n' +
        'ENGINE = Distributed(kiln_cluster, kiln, gpu_samples_local, cityHash64(cluster, rack))',
    );
    for (const table of ['gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h']) {
      expect(creating(`${table}_local`)).toContain(
        `ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/kiln/${table}_local', '{replica}')`,
      );
      expect(creating(table)).toContain(
        `ENGINE = Distributed(kiln_cluster, kiln, ${table}_local, cityHash64(cluster, rack))`,
      );
    }
    expect(creating('alerts')).toContain('Distributed(kiln_cluster, kiln, alerts_local, cityHash64(fingerprint))');
    expect(creating('dead_letters')).toContain('Distributed(kiln_cluster, kiln, dead_letters_local, stream_seq)');
  });

  it('replicates the version record to every node, unsharded', () => {
    expect(creating('schema_migrations')).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/kiln/schema_migrations', '{replica}')",
    );
    expect(cluster.some((s) => s.includes('schema_migrations_local'))).toBe(false);
  });

  it('trades the non-replicated deduplication window for the replicated one, a week long', () => {
    const samples = creating('gpu_samples_local')!;
    expect(samples).toContain(
      'SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800',
    );
    expect(cluster.join('\n')).not.toContain('non_replicated_deduplication_window');
  });

  it('attaches the views to the local tables on every node, and backfills through the Distributed ones', () => {
    expect(creating('gpu_rollup_10s_mv')).toMatch(
      / TO kiln\.gpu_rollup_10s_local AS\n[\s\S]*\nFROM kiln\.gpu_samples_local\n/,
    );
    expect(creating('gpu_rollup_1m_mv')).toMatch(
      / TO kiln\.gpu_rollup_1m_local AS\n[\s\S]*\nFROM kiln\.gpu_samples_local\n/,
    );
    expect(creating('gpu_rollup_1h_mv')).toMatch(
      / TO kiln\.gpu_rollup_1h_local AS\n[\s\S]*\nFROM kiln\.gpu_rollup_1m_local\n/,
    );
    const backfill = cluster.find((s) => s.startsWith('INSERT'))!;
    expect(backfill).toMatch(
      /^INSERT INTO kiln\.gpu_rollup_1h \(ts, cluster, rack, host, gpu, samples, [^)]*\)\nSETTINGS insert_deduplication_token = 'migration-0002:backfill', async_insert = 0, distributed_foreground_insert = 1\nSELECT/,
    );
    expect(backfill).toContain('\nFROM kiln.gpu_rollup_1m\n');
  });

  it('is the single-server schema with only engines, names and ON CLUSTER changed', () => {
    const columnsOf = (sql: string) => sql.slice(sql.indexOf('('), sql.indexOf(') ENGINE'));
    for (const sql of single.filter((s) => s.startsWith('CREATE TABLE') && s.includes(' ENGINE = '))) {
      const name = /^CREATE TABLE IF NOT EXISTS kiln\.(\w+) /.exec(sql)![1]!;
      const local = creating(`${name}_local`) ?? creating(name)!;
      expect(columnsOf(local), name).toBe(columnsOf(sql));
    }
  });

  it('parses, statement by statement, in the engine’s own parser', async () => {
    for (const sql of cluster) {
      const [parsed] = await store.query<{ ok: string }>('SELECT formatQuery({sql:String}) AS ok', { sql });
      expect(parsed!.ok.length, sql.slice(0, 80)).toBeGreaterThan(0);
    }
  });

  it('refuses a cluster name that is not a plain identifier, and a cluster without a server', async () => {
    expect(() => schemaStatements({ database: 'kiln', cluster: 'x; DROP' }, { retention: DEFAULT_RETENTION })).toThrow(
      /invalid cluster name/,
    );
    await expect(createStore({ dataDir, cluster: 'kiln_cluster' })).rejects.toThrow(/set url/);
  });
});
