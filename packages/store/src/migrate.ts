import { MIGRATIONS } from './migrations/index.js';
import type { Migration, MigrationContext } from './migrations/migration.js';
import { renderCreateDatabase, renderStatement, type SchemaTarget } from './migrations/render-statement.js';
import type { CreateTable, SchemaStatement } from './migrations/schema-statement.js';
import { checkedIdentifier } from './insert/insert-statement.js';

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
 * The record of applied versions. Every node of a cluster holds it whole, so the node a migration runs on reads
 * what any earlier run recorded.
 */
const SCHEMA_MIGRATIONS: CreateTable = {
  kind: 'table',
  name: 'schema_migrations',
  columns: `    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC')`,
  engine: 'ReplacingMergeTree',
  orderBy: 'version',
  settings: {},
  deduplicationWindow: 1000,
  shardingKey: 'replicated',
};

/** Whether `statement` applies to the server: an alter of a MergeTree setting the server lacks does not. */
async function appliesTo(store: MigrationTarget, statement: SchemaStatement): Promise<boolean> {
  if (statement.kind !== 'alter' || statement.onlyWhereSettingExists === undefined) return true;
  const name = checkedIdentifier(statement.onlyWhereSettingExists);
  const [found] = await store.query<{ n: number }>(
    `SELECT toUInt32(count()) AS n FROM system.merge_tree_settings WHERE name = '${name}'`,
  );
  return Number(found?.n) > 0;
}

function sortedMigrations(migrations: readonly Migration[]): Migration[] {
  return [...migrations].sort((a, b) => a.version - b.version);
}

/**
 * Every statement that migrating an empty database runs, in order (without the version records): the schema as
 * DDL, for review or for applying by hand with clickhouse-client. It includes the alters of MergeTree settings that
 * migrating skips on servers without them (AlterTable.onlyWhereSettingExists): leave those out on such a server.
 */
export function schemaStatements(
  target: SchemaTarget,
  context: MigrationContext,
  migrations: readonly Migration[] = MIGRATIONS,
): string[] {
  return [
    renderCreateDatabase(target),
    ...renderStatement(SCHEMA_MIGRATIONS, target),
    ...sortedMigrations(migrations).flatMap((m) => m.statements(context).flatMap((s) => renderStatement(s, target))),
  ];
}

/**
 * Brings the database to the latest schema: applies, in version order, every migration that
 * `<database>.schema_migrations` does not list, recording each after its statements ran. Re-running is a no-op, in
 * this process or any later one. The version record is inserted with a fixed token into a ReplacingMergeTree, so two
 * processes migrating at once still record each version once (and their idempotent statements do no harm).
 */
export async function migrate(
  store: MigrationTarget,
  target: SchemaTarget,
  context: MigrationContext,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const { database } = target;
  await store.command(renderCreateDatabase(target));
  for (const statement of renderStatement(SCHEMA_MIGRATIONS, target)) await store.command(statement);
  const done = new Set(
    (await store.query<{ version: number }>(`SELECT DISTINCT version FROM ${database}.schema_migrations`)).map((r) =>
      Number(r.version),
    ),
  );
  const applied: MigrationReport['applied'] = [];
  for (const migration of sortedMigrations(migrations)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements(context)) {
      if (!(await appliesTo(store, statement))) continue;
      for (const sql of renderStatement(statement, target)) await store.command(sql);
    }
    await store.insertRows(
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
