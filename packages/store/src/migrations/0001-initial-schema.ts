import { METRIC_COLUMNS_V1 } from '../schema/metric-columns.js';
import { ROLLUP_COLUMNS_V1, type RollupColumn } from '../schema/rollup-columns.js';
import { DEDUPLICATION_WINDOW, type Migration, type MigrationContext } from './migration.js';
import type { CreateMaterializedView, CreateTable } from './schema-statement.js';

export const LABEL_COLUMNS = `    cluster LowCardinality(String) CODEC(ZSTD(1)),
    rack LowCardinality(String) CODEC(ZSTD(1)),
    host LowCardinality(String) CODEC(ZSTD(1)),
    gpu UInt8 CODEC(ZSTD(1))`;

export const GPU_KEY = 'cluster, rack, host, gpu';

/** A rack's rows stay on one shard: the aggregator partitions by rack, and rack dashboards read one shard. */
export const RACK_SHARDING_KEY = 'cityHash64(cluster, rack)';

/** Settings of every table: expired data goes by whole parts (cheap with partitions by time). */
const TTL_BY_PARTS = { ttl_only_drop_parts: 1 };

function gpuSamples({ retention }: MigrationContext): CreateTable {
  const metrics = METRIC_COLUMNS_V1.map((c) => `    ${c.name} Nullable(${c.type}) CODEC(${c.codec})`).join(',\n');
  return {
    kind: 'table',
    name: 'gpu_samples',
    columns: `    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
${LABEL_COLUMNS},
    uuid LowCardinality(String) CODEC(ZSTD(1)),
    job LowCardinality(String) CODEC(ZSTD(1)),
${metrics}`,
    engine: 'MergeTree',
    partitionBy: 'toDate(ts)',
    orderBy: `(${GPU_KEY}, ts)`,
    ttl: `toDateTime(ts) + INTERVAL ${retention.rawDays} DAY DELETE`,
    settings: TTL_BY_PARTS,
    deduplicationWindow: DEDUPLICATION_WINDOW,
    shardingKey: RACK_SHARDING_KEY,
  };
}

/** A rollup table: its partitions and how long it is kept. */
export interface RollupTableShape {
  readonly table: string;
  readonly partition: string;
  readonly ttlDays: number;
}

/** A rollup table filled from gpu_samples, and its window. */
export interface RollupShape extends RollupTableShape {
  /** The window, as a ClickHouse interval (`10 SECOND`). */
  readonly interval: string;
}

/** A rollup table with the columns it was created with (later migrations add theirs). */
export function rollupTable(shape: RollupTableShape): CreateTable {
  return {
    kind: 'table',
    name: shape.table,
    columns: `    ts DateTime('UTC') CODEC(Delta, ZSTD(1)),
${LABEL_COLUMNS},
${ROLLUP_COLUMNS_V1.map((c) => `    ${c.name} ${c.type}`).join(',\n')}`,
    engine: 'AggregatingMergeTree',
    partitionBy: shape.partition,
    orderBy: `(${GPU_KEY}, ts)`,
    ttl: `ts + INTERVAL ${shape.ttlDays} DAY DELETE`,
    settings: TTL_BY_PARTS,
    deduplicationWindow: DEDUPLICATION_WINDOW,
    shardingKey: RACK_SHARDING_KEY,
  };
}

/** The rollups filled from gpu_samples by a view. */
export function rollupShapes({ retention }: MigrationContext): { rollup10s: RollupShape; rollup1m: RollupShape } {
  return {
    rollup10s: {
      table: 'gpu_rollup_10s',
      interval: '10 SECOND',
      partition: 'toDate(ts)',
      ttlDays: retention.rollup10sDays,
    },
    rollup1m: {
      table: 'gpu_rollup_1m',
      interval: '1 MINUTE',
      partition: 'toYYYYMM(ts)',
      ttlDays: retention.rollup1mDays,
    },
  };
}

/**
 * Every insert into gpu_samples becomes partial rollup rows (one per GPU and window in that insert) that merge: the
 * view that makes them, over the given rollup columns.
 */
export function rollupView(
  shape: RollupShape,
  columns: readonly RollupColumn[],
  replace = false,
): CreateMaterializedView {
  const aggregates = columns.map((c) => `    ${c.aggregate} AS ${c.name}`).join(',\n');
  return {
    kind: 'view',
    name: `${shape.table}_mv`,
    replace,
    target: shape.table,
    source: 'gpu_samples',
    select: (source) => `SELECT
    toStartOfInterval(ts, INTERVAL ${shape.interval}) AS ts,
    ${GPU_KEY},
${aggregates}
FROM ${source}
GROUP BY ts, ${GPU_KEY}`,
  };
}

function deadLetters({ retention }: MigrationContext): CreateTable {
  return {
    kind: 'table',
    name: 'dead_letters',
    columns: `    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    subject String CODEC(ZSTD(1)),
    reason LowCardinality(String) CODEC(ZSTD(1)),
    detail String CODEC(ZSTD(1)),
    body String CODEC(ZSTD(3)),
    stream_seq UInt64 CODEC(Delta, ZSTD(1))`,
    engine: 'MergeTree',
    partitionBy: 'toDate(ts)',
    orderBy: '(reason, ts)',
    ttl: `toDateTime(ts) + INTERVAL ${retention.deadLetterDays} DAY DELETE`,
    settings: TTL_BY_PARTS,
    deduplicationWindow: DEDUPLICATION_WINDOW,
    // The dead-letter stream's sequence: a retried batch of dead letters lands on the shards it went to before.
    shardingKey: 'stream_seq',
  };
}

function alerts({ retention }: MigrationContext): CreateTable {
  return {
    kind: 'table',
    name: 'alerts',
    columns: `    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    event LowCardinality(String),
    alertname LowCardinality(String),
    severity LowCardinality(String),
    category LowCardinality(String),
    cluster LowCardinality(String),
    rack LowCardinality(String),
    host LowCardinality(String),
    gpu Nullable(UInt8),
    uuid String CODEC(ZSTD(1)),
    fingerprint String CODEC(ZSTD(1)),
    labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    annotations Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    starts_at DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    ends_at Nullable(DateTime64(3, 'UTC')) CODEC(ZSTD(1)),
    receiver LowCardinality(String),
    outcome LowCardinality(String),
    detail String CODEC(ZSTD(1)),
    attempts UInt16`,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMM(ts)',
    orderBy: '(ts, fingerprint)',
    ttl: `toDateTime(ts) + INTERVAL ${retention.alertDays} DAY DELETE`,
    settings: TTL_BY_PARTS,
    deduplicationWindow: DEDUPLICATION_WINDOW,
    // One alert's whole history on one shard: its lifecycle reads as a sequence there.
    shardingKey: 'cityHash64(fingerprint)',
  };
}

/**
 * The first schema: raw samples, the 10 s and 1 min rollups with the views that fill them, dead letters and the
 * alert history. Tables before the views that write into them.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  statements(context) {
    const { rollup10s, rollup1m } = rollupShapes(context);
    return [
      gpuSamples(context),
      rollupTable(rollup10s),
      rollupTable(rollup1m),
      rollupView(rollup10s, ROLLUP_COLUMNS_V1),
      rollupView(rollup1m, ROLLUP_COLUMNS_V1),
      deadLetters(context),
      alerts(context),
    ];
  },
};
