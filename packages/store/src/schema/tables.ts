/**
 * The tables Kiln writes and reads, by role. Queries and inserts name a table through here (qualified with the
 * store's database), never as a literal, so that the database a store is opened on is the one it uses.
 */
export const TABLES = {
  /** One row per GPU per sample: the raw table every rollup view reads. */
  samples: 'gpu_samples',
  deadLetters: 'dead_letters',
  alertHistory: 'alerts',
  /** One row per event an agent published (an Xid from the kernel log). */
  gpuEvents: 'gpu_events',
} as const;
