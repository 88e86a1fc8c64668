import type { SchemaStatement } from './schema-statement.js';

/** Retention of each table, in days: parameters of the migrations that create them. */
export interface Retention {
  /** gpu_samples (default 14). */
  rawDays: number;
  /** gpu_rollup_10s (default 30). */
  rollup10sDays: number;
  /** gpu_rollup_1m (default 400). */
  rollup1mDays: number;
  /** gpu_rollup_1h (default 730). */
  rollup1hDays: number;
  /** dead_letters (default 30). */
  deadLetterDays: number;
  /** alerts history (default 400). */
  alertDays: number;
}

export const DEFAULT_RETENTION: Readonly<Retention> = {
  rawDays: 14,
  rollup10sDays: 30,
  rollup1mDays: 400,
  rollup1hDays: 730,
  deadLetterDays: 30,
  alertDays: 400,
};

export interface MigrationContext {
  readonly retention: Readonly<Retention>;
}

/**
 * One schema change. Its statements run in order, rendered for a single server or a cluster (render-statement.ts);
 * each is idempotent (IF NOT EXISTS, a backfill's fixed token): a process that dies between a statement and the
 * version record runs them again.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(context: MigrationContext): readonly SchemaStatement[];
}

/**
 * Rows that the same insert, replayed or retried with its token, must not store twice; set on every MergeTree table
 * that takes inserts, and on every materialized-view target (else a deduplicated replay still double-counts there:
 * the view's target deduplicates by its own window).
 */
export const DEDUPLICATION_WINDOW = 10_000;
