import { METRIC_COLUMNS_V5 } from '../schema/metric-columns.js';
import { ROLLUP_COLUMNS, ROLLUP_COLUMNS_V5 } from '../schema/rollup-columns.js';
import { rollupShapes, rollupView } from './0001-initial-schema.js';
import { hourlyView } from './0002-hourly-rollup.js';
import type { Migration } from './migration.js';

const ROLLUP_TABLES = ['gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h'];

/**
 * The Grace-Blackwell metrics of wire v1 (thermal margin, module power, NVLink links and errors, fabric state): their
 * gpu_samples columns, their rollup columns, and the rollup views replaced with ones that fill them. Rows written
 * before stay as they were (NULL in the new columns: not read).
 */
export const graceBlackwellColumns: Migration = {
  version: 5,
  name: 'Grace-Blackwell columns',
  statements(context) {
    const { rollup10s, rollup1m } = rollupShapes(context);
    return [
      {
        kind: 'add-columns' as const,
        table: 'gpu_samples',
        columns: METRIC_COLUMNS_V5.map((c) => ({ name: c.name, type: `Nullable(${c.type})`, codec: c.codec })),
      },
      ...ROLLUP_TABLES.map((table) => ({
        kind: 'add-columns' as const,
        table,
        columns: ROLLUP_COLUMNS_V5.map((c) => ({ name: c.name, type: c.type, codec: c.codec })),
      })),
      rollupView(rollup10s, ROLLUP_COLUMNS, true),
      rollupView(rollup1m, ROLLUP_COLUMNS, true),
      hourlyView(ROLLUP_COLUMNS, true),
    ];
  },
};
