import { METRIC_COLUMNS_V1, METRIC_COLUMNS_V5, type MetricColumn } from './metric-columns.js';

/** One column of the rollup tables (gpu_rollup_10s, _1m, _1h). */
export interface RollupColumn {
  readonly name: string;
  readonly type: string;
  /** The aggregate over gpu_samples that fills it. */
  readonly aggregate: string;
  /**
   * The function of its SimpleAggregateFunction type: what combines partial rows when parts merge, what queries
   * apply across rows, and what a coarser rollup cascaded from a finer one applies to it.
   */
  readonly combine: 'sum' | 'min' | 'max' | 'groupBitOr';
  /**
   * Its compression (migration 0003; the tables were created with the default, LZ4): ZSTD(1), with Delta first for a
   * counter's min and max, which grow window after window. Measured on simulated racks (test/bench/store-insert.js
   * data): 103 B per 10 s window with LZ4, 61 with ZSTD(1), 58 with Delta on the counters.
   */
  readonly codec: string;
}

function column(
  name: string,
  combine: RollupColumn['combine'],
  valueType: string,
  aggregate: string,
  codec = 'ZSTD(1)',
): RollupColumn {
  return { name, type: `SimpleAggregateFunction(${combine}, ${valueType})`, aggregate, combine, codec };
}

/** The rollup columns of one metric. */
function metricRollupColumns(c: MetricColumn): RollupColumn[] {
  const value = `Nullable(${c.type})`;
  const min = column(`${c.name}_min`, 'min', value, `min(${c.name})`);
  const max = column(`${c.name}_max`, 'max', value, `max(${c.name})`);
  switch (c.rollup) {
    case 'gauge':
      return [
        // count() of a Nullable column counts the present values only: the mean is sum / count over what was read.
        column(`${c.name}_count`, 'sum', 'UInt64', `count(${c.name})`),
        column(`${c.name}_sum`, 'sum', 'Float64', `sum(toFloat64(ifNull(${c.name}, 0)))`),
        min,
        max,
      ];
    case 'counter':
      return [
        column(`${c.name}_min`, 'min', value, `min(${c.name})`, 'Delta, ZSTD(1)'),
        column(`${c.name}_max`, 'max', value, `max(${c.name})`, 'Delta, ZSTD(1)'),
      ];
    case 'bits':
      return [column(`${c.name}_or`, 'groupBitOr', value, `groupBitOr(${c.name})`)];
    case 'code':
      return [max];
  }
}

/** The rollup columns the tables were created with (migration 0001): `samples`, then each version 1 metric's. */
export const ROLLUP_COLUMNS_V1: readonly RollupColumn[] = [
  column('samples', 'sum', 'UInt64', 'count()'),
  ...METRIC_COLUMNS_V1.flatMap(metricRollupColumns),
];

/** The rollup columns of the metrics migration 0005 adds. */
export const ROLLUP_COLUMNS_V5: readonly RollupColumn[] = METRIC_COLUMNS_V5.flatMap(metricRollupColumns);

/** Every rollup column after the key (ts, cluster, rack, host, gpu), as the latest migration leaves the tables. */
export const ROLLUP_COLUMNS: readonly RollupColumn[] = [...ROLLUP_COLUMNS_V1, ...ROLLUP_COLUMNS_V5];
