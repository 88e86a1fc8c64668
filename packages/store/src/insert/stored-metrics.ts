import { METRICS } from '@kiln/wire';
import { METRIC_COLUMNS, type MetricColumn } from '../schema/metric-columns.js';

/**
 * How the wire metrics (catalog order) are stored in gpu_samples, as every sample encoder writes them: a value inside
 * the catalog range is rounded to the decimals its column keeps, `round(value × scale)`; NaN or a value outside the
 * range is stored as null (absent).
 */
export interface StoredMetrics {
  readonly columns: readonly MetricColumn[];
  readonly decimals: Int32Array;
  readonly scale: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

function columnOf(name: string): MetricColumn {
  const column = METRIC_COLUMNS.find((c) => c.name === name);
  if (column === undefined) throw new Error(`metric ${name} has no gpu_samples column: add a migration for it`);
  return column;
}

export function storedMetrics(): StoredMetrics {
  const columns = METRICS.map((m) => columnOf(m.name));
  const decimals = Int32Array.from(columns, (c) => c.decimals);
  return {
    columns,
    decimals,
    scale: Float64Array.from(decimals, (d) => 10 ** d),
    min: Float64Array.from(METRICS, (m) => m.min),
    max: Float64Array.from(METRICS, (m) => m.max),
  };
}
