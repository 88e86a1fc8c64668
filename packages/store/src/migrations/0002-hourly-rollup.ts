import { ROLLUP_COLUMNS_V1, type RollupColumn } from '../schema/rollup-columns.js';
import { GPU_KEY, rollupTable } from './0001-initial-schema.js';
import type { Migration } from './migration.js';
import type { CreateMaterializedView } from './schema-statement.js';

/** 1 h windows from 1 min ones: each column combined with its own SimpleAggregateFunction's function. */
export const hourlySelect =
  (columns: readonly RollupColumn[]) =>
  (source: string): string =>
    `SELECT
    toStartOfHour(ts) AS ts,
    ${GPU_KEY},
${columns.map((c) => `    ${c.combine}(${c.name}) AS ${c.name}`).join(',\n')}
FROM ${source}
GROUP BY ts, ${GPU_KEY}`;

/** The hourly rollup's view, over the given rollup columns. */
export function hourlyView(columns: readonly RollupColumn[], replace = false): CreateMaterializedView {
  return {
    kind: 'view',
    name: 'gpu_rollup_1h_mv',
    target: 'gpu_rollup_1h',
    source: 'gpu_rollup_1m',
    select: hourlySelect(columns),
    replace,
  };
}

/**
 * The hourly rollup, for ranges of months to years: cascaded from the minute rollup (its view reads the minute rows
 * each insert produces, 60× fewer than raw samples), and backfilled from the minute rollup's existing rows.
 *
 * The view is created before the backfill so that no insert after the migration is missed; rows inserted while the
 * backfill runs would be counted twice, so migrate before writers start (Kiln's services migrate on start-up, before
 * they consume).
 */
export const hourlyRollup: Migration = {
  version: 2,
  name: 'hourly rollup',
  statements(context) {
    return [
      rollupTable({ table: 'gpu_rollup_1h', partition: 'toYYYYMM(ts)', ttlDays: context.retention.rollup1hDays }),
      hourlyView(ROLLUP_COLUMNS_V1),
      {
        kind: 'backfill',
        target: 'gpu_rollup_1h',
        columns: ['ts', GPU_KEY, ...ROLLUP_COLUMNS_V1.map((c) => c.name)],
        source: 'gpu_rollup_1m',
        token: 'migration-0002:backfill',
        select: hourlySelect(ROLLUP_COLUMNS_V1),
      },
    ];
  },
};
