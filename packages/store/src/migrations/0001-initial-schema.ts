import { METRIC_COLUMNS_V1, type MetricColumn } from '../schema/metric-columns.js';
import { DEDUPLICATION_WINDOW, type Migration, type MigrationContext } from './migration.js';

const LABELS = `cluster LowCardinality(String) CODEC(ZSTD(1)),
    rack LowCardinality(String) CODEC(ZSTD(1)),
    host LowCardinality(String) CODEC(ZSTD(1)),
    gpu UInt8 CODEC(ZSTD(1))`;

const GPU_KEY = 'cluster, rack, host, gpu';

function gpuSamples({ database, retention }: MigrationContext): string {
  const metrics = METRIC_COLUMNS_V1.map((c) => `    ${c.name} Nullable(${c.type}) CODEC(${c.codec})`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${database}.gpu_samples (
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    ${LABELS},
    uuid LowCardinality(String) CODEC(ZSTD(1)),
    job LowCardinality(String) CODEC(ZSTD(1)),
${metrics}
) ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (${GPU_KEY}, ts)
TTL toDateTime(ts) + INTERVAL ${retention.rawDays} DAY DELETE
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;
}

interface RollupColumn {
  name: string;
  type: string;
  /** The aggregate over gpu_samples that fills it. */
  aggregate: string;
}

/** The rollup columns of one metric. */
function rollupColumns(c: MetricColumn): RollupColumn[] {
  const value = `Nullable(${c.type})`;
  const max = { name: `${c.name}_max`, type: `SimpleAggregateFunction(max, ${value})`, aggregate: `max(${c.name})` };
  const min = { name: `${c.name}_min`, type: `SimpleAggregateFunction(min, ${value})`, aggregate: `min(${c.name})` };
  switch (c.rollup) {
    case 'gauge':
      return [
        // count() of a Nullable column counts the present values only: the mean is sum / count over what was read.
        { name: `${c.name}_count`, type: 'SimpleAggregateFunction(sum, UInt64)', aggregate: `count(${c.name})` },
        {
          name: `${c.name}_sum`,
          type: 'SimpleAggregateFunction(sum, Float64)',
          aggregate: `sum(toFloat64(ifNull(${c.name}, 0)))`,
        },
        min,
        max,
      ];
    case 'counter':
      return [min, max];
    case 'bits':
      return [{ name: `${c.name}_or`, type: `SimpleAggregateFunction(groupBitOr, ${value})`, aggregate: `groupBitOr(${c.name})` }];
    case 'code':
      return [max];
  }
}

const ROLLUP_COLUMNS: readonly RollupColumn[] = METRIC_COLUMNS_V1.flatMap(rollupColumns);

interface RollupShape {
  table: string;
  interval: string;
  partition: string;
  ttlDays: number;
}

function rollupTable({ database }: MigrationContext, shape: RollupShape): string {
  const columns = ROLLUP_COLUMNS.map((c) => `    ${c.name} ${c.type}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${database}.${shape.table} (
    ts DateTime('UTC') CODEC(Delta, ZSTD(1)),
    ${LABELS},
    samples SimpleAggregateFunction(sum, UInt64),
${columns}
) ENGINE = AggregatingMergeTree
PARTITION BY ${shape.partition}
ORDER BY (${GPU_KEY}, ts)
TTL ts + INTERVAL ${shape.ttlDays} DAY DELETE
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;
}

/** Every insert into gpu_samples becomes partial rollup rows (one per GPU and window in that insert) that merge. */
function rollupView({ database }: MigrationContext, shape: RollupShape): string {
  const aggregates = ROLLUP_COLUMNS.map((c) => `    ${c.aggregate} AS ${c.name}`).join(',\n');
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${shape.table}_mv TO ${database}.${shape.table} AS
SELECT
    toStartOfInterval(ts, INTERVAL ${shape.interval}) AS ts,
    ${GPU_KEY},
    count() AS samples,
${aggregates}
FROM ${database}.gpu_samples
GROUP BY ts, ${GPU_KEY}`;
}

function deadLetters({ database, retention }: MigrationContext): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.dead_letters (
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    subject String CODEC(ZSTD(1)),
    reason LowCardinality(String) CODEC(ZSTD(1)),
    detail String CODEC(ZSTD(1)),
    body String CODEC(ZSTD(3)),
    stream_seq UInt64 CODEC(Delta, ZSTD(1))
) ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (reason, ts)
TTL toDateTime(ts) + INTERVAL ${retention.deadLetterDays} DAY DELETE
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;
}

function alerts({ database, retention }: MigrationContext): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.alerts (
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
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
    attempts UInt16
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, fingerprint)
TTL toDateTime(ts) + INTERVAL ${retention.alertDays} DAY DELETE
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;
}

/**
 * The first schema: raw samples, the 10 s and 1 min rollups with the views that fill them, dead letters and the
 * alert history. Tables before the views that write into them.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  statements(context) {
    const rollup10s: RollupShape = {
      table: 'gpu_rollup_10s',
      interval: '10 SECOND',
      partition: 'toDate(ts)',
      ttlDays: context.retention.rollup10sDays,
    };
    const rollup1m: RollupShape = {
      table: 'gpu_rollup_1m',
      interval: '1 MINUTE',
      partition: 'toYYYYMM(ts)',
      ttlDays: context.retention.rollup1mDays,
    };
    return [
      gpuSamples(context),
      rollupTable(context, rollup10s),
      rollupTable(context, rollup1m),
      rollupView(context, rollup10s),
      rollupView(context, rollup1m),
      deadLetters(context),
      alerts(context),
    ];
  },
};
