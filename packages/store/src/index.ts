export { createStore, type Store, type StoreOptions } from './store.js';
export { schemaStatements, type MigrationReport } from './migrate.js';
export { DEFAULT_RETENTION, DEDUPLICATION_WINDOW, type Retention } from './migrations/migration.js';
export { MIGRATIONS } from './migrations/index.js';
export type { Migration, MigrationContext } from './migrations/migration.js';
export type { SchemaTarget } from './migrations/render-statement.js';
export type {
  AlterTable,
  Backfill,
  CreateMaterializedView,
  CreateTable,
  SchemaStatement,
  TableEngine,
} from './migrations/schema-statement.js';
export { ROLLUP_COLUMNS, type RollupColumn } from './schema/rollup-columns.js';
export { METRIC_COLUMNS, METRIC_COLUMNS_V1, type MetricColumn, type RollupKind } from './schema/metric-columns.js';
export { SAMPLE_COLUMNS, SampleEncoder } from './insert/sample-encoder.js';
export { NativeSampleEncoder } from './insert/native-sample-encoder.js';
export {
  DEFAULT_RETRY_POLICY,
  RetriesExhaustedError,
  isTransientError,
  withRetry,
  type RetryEvent,
  type RetryHook,
  type RetryPolicy,
} from './insert/retry.js';
export { DEAD_LETTER_BODY_LIMIT, type DeadLetterRow } from './dead-letters.js';
export type { AlertHistoryKind, AlertHistoryRow } from './alert-history.js';
export { EmbeddedEngine } from './engine/embedded-engine.js';
export { TABLES } from './schema/tables.js';
export { sqlString } from './insert/insert-statement.js';
