import type {
  AddColumns,
  AlterTable,
  Backfill,
  CreateMaterializedView,
  CreateTable,
  SchemaStatement,
} from './schema-statement.js';

/** Where a migration's statements run. */
export interface SchemaTarget {
  readonly database: string;
  /**
   * A ClickHouse cluster (a `remote_servers` entry, with Keeper and the `{shard}`/`{replica}` macros on every node):
   * each table becomes `<name>_local` with a Replicated engine on every node, plus a Distributed table under the
   * name queries use; every DDL statement runs ON CLUSTER. Undefined: a single server or the embedded engine.
   */
  readonly cluster?: string | undefined;
}

/** Cluster names are written into DDL unquoted. */
const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkedClusterName(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster)) throw new Error(`invalid cluster name ${JSON.stringify(cluster)}`);
  return cluster;
}

/**
 * The name of the table that holds a table's rows on each node: the table itself on a single server, `<name>_local`
 * in a cluster (where `<name>` is the Distributed table over all shards). Tables that every node replicates whole
 * keep their name.
 */
function storageName(name: string, target: SchemaTarget, replicatedWhole = false): string {
  return target.cluster === undefined || replicatedWhole ? name : `${name}_local`;
}

/**
 * Replicas keep each inserted block's hash in Keeper for `replicated_deduplication_window` blocks but, since 25.10,
 * at most an hour by default; an agent's spool replays older batches than that, so the time bound is lifted to a
 * week (the count bound still limits Keeper's memory).
 */
const REPLICATED_DEDUPLICATION_SECONDS = 7 * 24 * 3600;

function settingsClause(statement: CreateTable, cluster: boolean): string {
  const settings: Record<string, number> = { ...statement.settings };
  if (cluster) {
    settings.replicated_deduplication_window = statement.deduplicationWindow;
    settings.replicated_deduplication_window_seconds = REPLICATED_DEDUPLICATION_SECONDS;
  } else {
    settings.non_replicated_deduplication_window = statement.deduplicationWindow;
  }
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
}

function renderTable(statement: CreateTable, target: SchemaTarget): string[] {
  const { database, cluster } = target;
  const replicatedWhole = statement.shardingKey === 'replicated';
  const local = storageName(statement.name, target, replicatedWhole);
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${cluster}`;
  const engine =
    cluster === undefined
      ? statement.engine
      : // {shard} keeps each shard's replicas apart; a table every node holds whole has one replica set, cluster-wide.
        `Replicated${statement.engine}('/clickhouse/tables/${replicatedWhole ? 'all' : '{shard}'}/${database}/${local}', '{replica}')`;
  const clauses = [
    `ENGINE = ${engine}`,
    ...(statement.partitionBy === undefined ? [] : [`PARTITION BY ${statement.partitionBy}`]),
    `ORDER BY ${statement.orderBy}`,
    ...(statement.ttl === undefined ? [] : [`TTL ${statement.ttl}`]),
    `SETTINGS ${settingsClause(statement, cluster !== undefined)}`,
  ];
  const create = `CREATE TABLE IF NOT EXISTS ${database}.${local}${onCluster} (\n${statement.columns}\n) ${clauses.join('\n')}`;
  if (cluster === undefined || replicatedWhole) return [create];
  const distributed =
    `CREATE TABLE IF NOT EXISTS ${database}.${statement.name}${onCluster} AS ${database}.${local}\n` +
    `ENGINE = Distributed(${cluster}, ${database}, ${local}, ${statement.shardingKey})`;
  return [create, distributed];
}

function renderView(statement: CreateMaterializedView, target: SchemaTarget): string[] {
  // In a cluster a view lives beside the tables it joins on every node: it reads what that node's local source
  // table receives and writes into that node's local target.
  const { database, cluster } = target;
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${cluster}`;
  const source = `${database}.${storageName(statement.source, target)}`;
  const into = `${database}.${storageName(statement.target, target)}`;
  const create = `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${statement.name}${onCluster} TO ${into} AS\n${statement.select(source)}`;
  return statement.replace === true
    ? [`DROP VIEW IF EXISTS ${database}.${statement.name}${onCluster}`, create]
    : [create];
}

function renderBackfill(statement: Backfill, target: SchemaTarget): string[] {
  // Through the Distributed tables in a cluster: the SELECT reads every shard, the INSERT routes each row to the
  // shard its sharding key names, and waits for the shards (so that the token reaches them).
  const { database, cluster } = target;
  const distributed = cluster === undefined ? '' : ', distributed_foreground_insert = 1';
  return [
    `INSERT INTO ${database}.${statement.target} (${statement.columns.join(', ')})\n` +
      `SETTINGS insert_deduplication_token = '${statement.token}', async_insert = 0${distributed}\n` +
      statement.select(`${database}.${statement.source}`),
  ];
}

function renderAlter(statement: AlterTable, target: SchemaTarget): string[] {
  const { database, cluster } = target;
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${cluster}`;
  return [
    `ALTER TABLE ${database}.${storageName(statement.table, target)}${onCluster}
    ${statement.actions.join(',\n    ')}`,
  ];
}

function renderAddColumns(statement: AddColumns, target: SchemaTarget): string[] {
  const { database, cluster } = target;
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${cluster}`;
  const local = `ALTER TABLE ${database}.${storageName(statement.table, target)}${onCluster}
    ${statement.columns.map((c) => `ADD COLUMN IF NOT EXISTS ${c.name} ${c.type} CODEC(${c.codec})`).join(',\n    ')}`;
  if (cluster === undefined) return [local];
  // A Distributed table stores nothing, so its columns take no codec.
  const distributed = `ALTER TABLE ${database}.${statement.table}${onCluster}
    ${statement.columns.map((c) => `ADD COLUMN IF NOT EXISTS ${c.name} ${c.type}`).join(',\n    ')}`;
  return [local, distributed];
}

/** The SQL statements that apply `statement` to `target`, in order. */
export function renderStatement(statement: SchemaStatement, target: SchemaTarget): string[] {
  if (target.cluster !== undefined) checkedClusterName(target.cluster);
  switch (statement.kind) {
    case 'table':
      return renderTable(statement, target);
    case 'view':
      return renderView(statement, target);
    case 'backfill':
      return renderBackfill(statement, target);
    case 'alter':
      return renderAlter(statement, target);
    case 'add-columns':
      return renderAddColumns(statement, target);
  }
}

export function renderCreateDatabase(target: SchemaTarget): string {
  const onCluster = target.cluster === undefined ? '' : ` ON CLUSTER ${checkedClusterName(target.cluster)}`;
  return `CREATE DATABASE IF NOT EXISTS ${target.database}${onCluster}`;
}
