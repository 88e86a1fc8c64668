import { initialSchema } from './0001-initial-schema.js';
import { hourlyRollup } from './0002-hourly-rollup.js';
import { rollupCodecs } from './0003-rollup-codecs.js';
import { noMergeStatistics } from './0004-no-merge-statistics.js';
import { graceBlackwellColumns } from './0005-grace-blackwell-columns.js';
import { gpuEvents } from './0006-gpu-events.js';
import type { Migration } from './migration.js';

/** Every migration, in version order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  hourlyRollup,
  rollupCodecs,
  noMergeStatistics,
  graceBlackwellColumns,
  gpuEvents,
];
