import { MIGRATIONS } from './migrations/index.js';
import type { Migration, MigrationContext } from './migrations/migration.js';

export interface MigrationReport {
  /** Migrations this run applied, in order. */
  applied: { version: number; name: string }[];
  /** The schema version after the run (highest applied version). */
  version: number;
}

/** What migrations need from a store: statements, a query, and idempotent inserts. */
export interface MigrationTarget {
  command(sql: string): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  insertRows(table: string, columns: readonly string[], rows: unknown[][], token: string): Promise<void>;
}

/**
 * Brings the database to the latest schema: applies, in version order, every migration that
 * `<database>.schema_migrations` does not list, recording each after its statements ran. Re-running is a no-op, in
 * this process or any later one. The version record is inserted with a fixed token into a ReplacingMergeTree, so two
 * processes migrating at once still record each version once (and their idempotent statements do no harm).
 */
export async function migrate(
  target: MigrationTarget,
  context: MigrationContext,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const { database } = context;
  await target.command(`CREATE DATABASE IF NOT EXISTS ${database}`);
  await target.command(`CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY version
SETTINGS non_replicated_deduplication_window = 1000`);
  const done = new Set(
    (await target.query<{ version: number }>(`SELECT DISTINCT version FROM ${database}.schema_migrations`)).map((r) =>
      Number(r.version),
    ),
  );
  const applied: MigrationReport['applied'] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements(context)) await target.command(statement);
    await target.insertRows(
      `${database}.schema_migrations`,
      ['version', 'name', 'applied_at'],
      [[migration.version, migration.name, Date.now()]],
      `schema_migrations:${migration.version}`,
    );
    done.add(migration.version);
    applied.push({ version: migration.version, name: migration.name });
  }
  return { applied, version: Math.max(0, ...done) };
}
