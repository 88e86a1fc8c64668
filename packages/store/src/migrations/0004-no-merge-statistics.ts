import type { Migration } from './migration.js';

/**
 * No automatic column statistics on the tables that every sample writes. Recent ClickHouse versions (26.x, the
 * embedded engine included) build `basic` and `uniq_v2` statistics of every column whenever parts merge
 * (auto_statistics_types); Kiln's queries select by the sorting key and time, which the primary index serves, so the
 * statistics bought nothing there, while building them for the rollups' 82 columns took about a third of the CPU of
 * their merges (test/bench/store-insert.js). A server that predates the setting builds none and skips this.
 */
export const noMergeStatistics: Migration = {
  version: 4,
  name: 'no automatic column statistics',
  statements() {
    return ['gpu_samples', 'gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h'].map((table) => ({
      kind: 'alter' as const,
      table,
      actions: ["MODIFY SETTING auto_statistics_types = ''"],
      onlyWhereSettingExists: 'auto_statistics_types',
    }));
  },
};
