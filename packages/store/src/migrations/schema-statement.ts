/**
 * Schema changes as data rather than SQL text, so that one migration renders both for a single server (or the
 * embedded engine) and for a cluster (Replicated engines, Distributed tables, ON CLUSTER): see render-statement.ts.
 */

/** The MergeTree family members Kiln's tables use; a cluster gets the Replicated variant of each. */
export type TableEngine = 'MergeTree' | 'AggregatingMergeTree' | 'ReplacingMergeTree';

export interface CreateTable {
  readonly kind: 'table';
  /** Unqualified name, as queries use it. */
  readonly name: string;
  /** Column definitions, one per line, without the enclosing parentheses. */
  readonly columns: string;
  readonly engine: TableEngine;
  readonly partitionBy?: string;
  readonly orderBy: string;
  /** The TTL expression and action, e.g. `toDateTime(ts) + INTERVAL 14 DAY DELETE`. */
  readonly ttl?: string;
  /** MergeTree settings other than the deduplication window, which the renderer adds for the target it renders for. */
  readonly settings: Readonly<Record<string, number>>;
  /** Rows that the same insert, replayed with its token, must not store twice (the deduplication window, in blocks). */
  readonly deduplicationWindow: number;
  /**
   * How a cluster spreads the rows over its shards (the Distributed table's sharding key). Deterministic, so that a
   * retried insert sends the same rows to the same shard, where its token deduplicates them. `'replicated'`: not
   * sharded, every node holds every row (small tables the migration tool itself reads).
   */
  readonly shardingKey: string | 'replicated';
}

export interface CreateMaterializedView {
  readonly kind: 'view';
  readonly name: string;
  /** The table the view writes into. */
  readonly target: string;
  /** The table whose inserts the view transforms. */
  readonly source: string;
  /** The view's SELECT, given the qualified source table to read. */
  readonly select: (source: string) => string;
  /**
   * Drop the view first, if it exists: how a migration changes a view's SELECT (ALTER … MODIFY QUERY is experimental
   * on the servers Kiln supports). Inserts between the drop and the create skip the view, so migrate before writers
   * start, as Kiln's services do.
   */
  readonly replace?: boolean;
}

/**
 * Fills a table from another once, as an INSERT … SELECT that carries a fixed deduplication token: a re-run with the
 * same source rows (a migration interrupted before its version was recorded) is dropped by the target's
 * deduplication window.
 */
export interface Backfill {
  readonly kind: 'backfill';
  readonly target: string;
  /** The target's columns the SELECT fills, in its order: later migrations may add columns to the target. */
  readonly columns: readonly string[];
  readonly source: string;
  readonly token: string;
  readonly select: (source: string) => string;
}

/** Changes a table (the table that holds the rows, in a cluster: each node's local table) with ALTER actions. */
export interface AlterTable {
  readonly kind: 'alter';
  readonly table: string;
  /** ALTER actions (`MODIFY COLUMN c CODEC(ZSTD(1))`), applied together. Idempotent ones only. */
  readonly actions: readonly string[];
  /**
   * A MergeTree setting that the actions change and that older servers do not have: where the server's
   * system.merge_tree_settings lacks it, there is nothing to change, and migrating skips the statement.
   */
  readonly onlyWhereSettingExists?: string;
}

/** A column a migration adds to a table, with its type and compression. */
export interface AddedColumn {
  readonly name: string;
  readonly type: string;
  readonly codec: string;
}

/**
 * Adds columns to a table. In a cluster the Distributed table has a column list of its own, so it gets them too:
 * a query through it sees the new columns, and inserts through it carry them.
 */
export interface AddColumns {
  readonly kind: 'add-columns';
  readonly table: string;
  readonly columns: readonly AddedColumn[];
}

export type SchemaStatement = CreateTable | CreateMaterializedView | Backfill | AlterTable | AddColumns;
