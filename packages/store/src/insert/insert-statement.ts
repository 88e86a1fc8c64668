const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `name` or `database.name`, checked so that it can be written into SQL unquoted. */
export function checkedTableName(table: string): string {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p)))
    throw new Error(`invalid table name ${JSON.stringify(table)}`);
  return table;
}

/** A column or setting name, checked so that it can be written into SQL unquoted. */
export function checkedIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  return name;
}

/** A ClickHouse string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export type InsertSettings = Readonly<Record<string, string | number>>;

/**
 * The settings every Kiln insert carries, in the statement's own SETTINGS clause: they hold for this insert only, on
 * a server and on the embedded engine alike (where the client's `clickhouse_settings` would become session SETs that
 * outlive the insert, so one batch's token would deduplicate the next batch).
 * `async_insert = 0`: batches are already batched (ClickHouse >= 26.2 defaults to 1).
 * `deduplicate_blocks_in_dependent_materialized_views = 1` (the default since 26.2, not before): a retry whose
 * rows reached gpu_samples but not every rollup fills in the rollups instead of being dropped whole.
 * `optimize_on_insert = 0`: the engine would otherwise sort-merge each new rollup part by its key before writing it,
 * and the rollup views already group by that key, so there is nothing to merge: measured, it about halved the
 * views' share of an insert (test/bench/store-insert.js). Partial rows merge in the background as before.
 * `input_format_parallel_parsing = 0`: the body is parsed on the insert's own thread, which cost 7% less CPU per
 * sample with the rollup views attached, at the same wall time, on 20k-sample batches (an A/B alternating insert
 * by insert); a batch is a few MB, too little for parsing threads to pay off.
 */
export function insertSettings(token: string, more: InsertSettings = {}): InsertSettings {
  if (token.length === 0) throw new Error('an insert needs a non-empty deduplication token');
  return {
    insert_deduplication_token: token,
    async_insert: 0,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    optimize_on_insert: 0,
    input_format_parallel_parsing: 0,
    ...more,
  };
}

/** `name = value, …` for a SETTINGS clause. */
export function settingList(settings: InsertSettings): string {
  return Object.entries(settings)
    .map(([name, value]) => `${checkedIdentifier(name)} = ${typeof value === 'string' ? sqlString(value) : value}`)
    .join(', ');
}

/** The formats Kiln sends insert bodies in. */
export type InsertFormat = 'JSONCompactEachRow' | 'Native';

/** `INSERT INTO table (columns) SETTINGS … FORMAT <format>`, the body to follow. */
export function insertStatement(
  table: string,
  columns: readonly string[],
  settings: InsertSettings,
  format: InsertFormat,
): string {
  const columnList = columns.map(checkedIdentifier).join(', ');
  return `INSERT INTO ${checkedTableName(table)} (${columnList}) SETTINGS ${settingList(settings)} FORMAT ${format}`;
}
