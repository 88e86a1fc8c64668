import type { MetricName } from '@kiln/wire';

/** How a metric is summarised in the rollup tables. */
export type RollupKind =
  /** `<m>_count`, `<m>_sum`, `<m>_min`, `<m>_max`: mean, min and max of a level. */
  | 'gauge'
  /** `<m>_min`, `<m>_max`: the counter's range in the window (its increase, barring a reset). */
  | 'counter'
  /** `<m>_or`: every bit set in the window. */
  | 'bits'
  /** `<m>_max`: the highest code or flag in the window. */
  | 'code';

export interface MetricColumn {
  readonly name: MetricName;
  /** ClickHouse type of the value, wrapped in Nullable in the table: NULL = absent, never confused with 0. */
  readonly type: string;
  readonly codec: string;
  /** Decimal digits the type keeps; the encoder rounds to them (0 = whole numbers). */
  readonly decimals: number;
  readonly rollup: RollupKind;
}

const ZSTD = 'ZSTD(1)';
const DELTA = 'Delta, ZSTD(1)';

/**
 * gpu_samples metric columns, schema version 1 (migration 0001). Frozen: a new wire metric gets a new migration that
 * adds its column, and an entry here.
 *
 * The type and its precision drive compression more than codecs do. Each
 * fractional metric is a Decimal at the resolution the sensor is meaningful at (a scaled integer on disk, so it
 * compresses like the integer types: sm_active per-mille 1.15 vs 2.88 B/value as Float32), integer-valued fields are
 * the smallest unsigned type covering the catalog range, and monotonic counters get Delta before ZSTD. Every range
 * here covers the catalog's [min, max].
 */
export const METRIC_COLUMNS_V1: readonly MetricColumn[] = [
  { name: 'temp_c', type: 'Decimal(5, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'mem_temp_c', type: 'Decimal(5, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'slowdown_temp_c', type: 'Decimal(5, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'mem_max_temp_c', type: 'Decimal(5, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'power_w', type: 'Decimal(6, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'power_limit_w', type: 'Decimal(6, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'energy_j', type: 'Decimal(18, 2)', codec: DELTA, decimals: 2, rollup: 'counter' },
  { name: 'util_pct', type: 'Decimal(4, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'mem_util_pct', type: 'Decimal(4, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'sm_active', type: 'Decimal(4, 3)', codec: ZSTD, decimals: 3, rollup: 'gauge' },
  { name: 'tensor_active', type: 'Decimal(4, 3)', codec: ZSTD, decimals: 3, rollup: 'gauge' },
  { name: 'dram_active', type: 'Decimal(4, 3)', codec: ZSTD, decimals: 3, rollup: 'gauge' },
  { name: 'sm_clock_mhz', type: 'UInt16', codec: ZSTD, decimals: 0, rollup: 'gauge' },
  { name: 'mem_clock_mhz', type: 'UInt16', codec: ZSTD, decimals: 0, rollup: 'gauge' },
  { name: 'fb_used_mib', type: 'UInt32', codec: ZSTD, decimals: 0, rollup: 'gauge' },
  { name: 'fb_free_mib', type: 'UInt32', codec: ZSTD, decimals: 0, rollup: 'gauge' },
  { name: 'clock_events', type: 'UInt32', codec: ZSTD, decimals: 0, rollup: 'bits' },
  { name: 'xid', type: 'UInt16', codec: ZSTD, decimals: 0, rollup: 'code' },
  { name: 'ecc_sbe_vol', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  { name: 'ecc_dbe_vol', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  { name: 'remapped_rows_unc', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  { name: 'row_remap_failure', type: 'UInt8', codec: ZSTD, decimals: 0, rollup: 'code' },
  { name: 'pcie_replay', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  // A byte counter: whole bytes, although the catalog does not promise integers (fractions are rounded away).
  { name: 'nvlink_bytes', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
];

/**
 * gpu_samples metric columns added by migration 0005: Grace-Blackwell thermal margin, module power, NVLink link state
 * and error counters, and fabric state. Absent on other parts (NULL), where they cost nothing per row but a null mask.
 */
export const METRIC_COLUMNS_V5: readonly MetricColumn[] = [
  { name: 'temp_margin_c', type: 'Decimal(5, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'module_power_w', type: 'Decimal(6, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'module_power_limit_w', type: 'Decimal(6, 1)', codec: ZSTD, decimals: 1, rollup: 'gauge' },
  { name: 'nvlink_links_inactive', type: 'UInt8', codec: ZSTD, decimals: 0, rollup: 'gauge' },
  { name: 'nvlink_crc_errors', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  { name: 'nvlink_replay_errors', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  { name: 'nvlink_recovery_errors', type: 'UInt64', codec: DELTA, decimals: 0, rollup: 'counter' },
  { name: 'fabric_state', type: 'UInt8', codec: ZSTD, decimals: 0, rollup: 'code' },
  { name: 'fabric_status', type: 'UInt32', codec: ZSTD, decimals: 0, rollup: 'code' },
  { name: 'fabric_clique', type: 'UInt32', codec: ZSTD, decimals: 0, rollup: 'code' },
];

/** Every gpu_samples metric column, as the latest migration leaves the table. */
export const METRIC_COLUMNS: readonly MetricColumn[] = [...METRIC_COLUMNS_V1, ...METRIC_COLUMNS_V5];
