import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { GpuEvent, SampleBatch } from '@kiln/wire';
import { ALERT_HISTORY_COLUMNS, alertHistoryValues, type AlertHistoryRow } from './alert-history.js';
import { DEAD_LETTER_COLUMNS, deadLetterValues, type DeadLetterRow } from './dead-letters.js';
import { eventStored, GPU_EVENT_COLUMNS, gpuEventValues } from './gpu-events.js';
import { EmbeddedEngine } from './engine/embedded-engine.js';
import {
  checkedIdentifier,
  checkedTableName,
  insertSettings,
  insertStatement,
  type InsertFormat,
  type InsertSettings,
} from './insert/insert-statement.js';
import { encodeJsonRows } from './insert/json-rows.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryHook, type RetryPolicy } from './insert/retry.js';
import { NativeSampleEncoder } from './insert/native-sample-encoder.js';
import { SAMPLE_COLUMNS } from './insert/sample-encoder.js';
import { migrate, type MigrationReport } from './migrate.js';
import { DEFAULT_RETENTION, type Retention } from './migrations/migration.js';
import { checkedClusterName } from './migrations/render-statement.js';
import { newestStored, storedIdentities } from './sample-identity.js';
import { TABLES } from './schema/tables.js';

export interface StoreOptions {
  /** A ClickHouse server's HTTP endpoint (or `kiln store`'s). Without it, the embedded engine runs in this process. */
  url?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  /** Kiln's data directory; the embedded engine keeps its data under `<dataDir>/clickhouse`. */
  dataDir: string;
  /** Default 'kiln'. */
  database?: string | undefined;
  /**
   * Retry policy for `query` reads (transient failures only). Writes are not retried here: each insert is one attempt,
   * and its writer, which knows whether it may give up, retries it under the same token (docs/architecture.md).
   */
  retry?: Partial<RetryPolicy> | undefined;
  /** Called before each retry, e.g. to count and log it. */
  onRetry?: RetryHook | undefined;
  /** Table retention, applied by the migrations that create the tables. */
  retention?: Partial<Retention> | undefined;
  /** Per-request timeout against a server (default 60 s). */
  requestTimeoutMs?: number | undefined;
  /**
   * The ClickHouse cluster (a `remote_servers` name) the server belongs to: migrations create every table ON CLUSTER
   * as `<name>_local` with a Replicated engine plus a Distributed `<name>` over the shards, and inserts into the
   * Distributed tables wait for the shards (see deploy/clickhouse/). Only with `url`.
   */
  cluster?: string | undefined;
}

export interface Store {
  readonly client: ClickHouseClient;
  /** True when the data lives in the in-process engine. */
  readonly embedded: boolean;
  /** The in-process engine (what `serveClickHouseHttp` serves); undefined against a server. */
  readonly engine: EmbeddedEngine | undefined;
  readonly database: string;
  /** Applies pending schema migrations; a no-op when the schema is current. */
  migrate(): Promise<MigrationReport>;
  /**
   * Inserts every row of `batch` into gpu_samples, in one attempt. The same token with the same rows (a replay, a
   * retry) is stored once; build it deterministically from what the batch holds.
   */
  insertSamples(batch: SampleBatch, token: string): Promise<void>;
  /** Inserts rows (values in `columns` order; DateTime64 as epoch ms) into `table` (`db.table` or a table of `database`). */
  insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
    token: string,
  ): Promise<void>;
  insertDeadLetters(rows: readonly DeadLetterRow[], token: string): Promise<void>;
  /** Inserts events into gpu_events, one row each; the same token with the same events is stored once. */
  insertEvents(events: readonly GpuEvent[], token: string): Promise<void>;
  insertAlertHistory(rows: readonly AlertHistoryRow[], token: string): Promise<void>;
  /**
   * For each of the given rows of `batch`, its GPU's newest stored ts, looking no further back than the rows' earliest
   * ts (by position in `rows`; -Infinity where nothing of that GPU is stored since then).
   */
  newestStored(batch: SampleBatch, rows: readonly number[]): Promise<Float64Array>;
  /** Of the given rows of `batch`, those whose sample identity (cluster, rack, host, gpu, ts) is stored already. */
  storedIdentities(batch: SampleBatch, rows: readonly number[]): Promise<Set<number>>;
  /** Whether gpu_events holds the event already (its cluster, rack, host and seq). */
  eventStored(event: GpuEvent): Promise<boolean>;
  /**
   * Runs a read query (retried on transient failures) and returns its rows as JSONEachRow objects; 64-bit integers
   * as the engine prints them (numbers by default since ClickHouse 25, strings before: cast to be sure).
   * `{name:Type}` placeholders take their values from `params`.
   */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Runs a statement that returns no rows (DDL, OPTIMIZE, SYSTEM …), once. */
  command(sql: string): Promise<void>;
  close(): Promise<void>;
}

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function createStore(options: StoreOptions): Promise<Store> {
  const database = options.database ?? 'kiln';
  if (!DATABASE_NAME.test(database)) throw new Error(`invalid database name ${JSON.stringify(database)}`);
  if (options.cluster !== undefined) checkedClusterName(options.cluster);
  if (options.url !== undefined && options.url !== '') {
    const client = createClient({
      url: options.url,
      username: options.user ?? 'default',
      password: options.password ?? '',
      request_timeout: options.requestTimeoutMs ?? 60_000,
      application: 'kiln',
      // Failures reach the caller as thrown errors and onRetry events; the client logging each one again is noise.
      log: { level: ClickHouseLogLevel.OFF },
    });
    return new ClickHouseStore(client, undefined, database, options);
  }
  if (options.cluster !== undefined)
    throw new Error('a cluster is a set of ClickHouse servers: set url as well as cluster');
  const engine = new EmbeddedEngine(join(options.dataDir, 'clickhouse'));
  const client = createClient({ connection: engine.connection });
  return new ClickHouseStore(client, engine, database, options);
}

class ClickHouseStore implements Store {
  readonly embedded: boolean;
  readonly #retry: RetryPolicy;
  readonly #onRetry: RetryHook | undefined;
  readonly #retention: Retention;
  /** Encoders not encoding or inserting a body now: each body stays untouched until its insert (and retries) end. */
  readonly #idleNativeEncoders: NativeSampleEncoder[] = [];
  readonly #cluster: string | undefined;
  /** Settings every insert carries besides its token. */
  readonly #insertSettings: InsertSettings;

  constructor(
    readonly client: ClickHouseClient,
    readonly engine: EmbeddedEngine | undefined,
    readonly database: string,
    options: StoreOptions,
  ) {
    this.embedded = engine !== undefined;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#onRetry = options.onRetry;
    this.#retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.#cluster = options.cluster;
    // A Distributed table acknowledges an insert once every shard has its rows (so each shard deduplicates a retry
    // by the token), instead of once they are queued on the node that took the insert.
    this.#insertSettings = options.cluster === undefined ? {} : { distributed_foreground_insert: 1 };
  }

  migrate(): Promise<MigrationReport> {
    return migrate(this, { database: this.database, cluster: this.#cluster }, { retention: this.#retention });
  }

  /**
   * Sample batches go in ClickHouse's Native format, to the embedded engine and to a server alike (kiln store's HTTP
   * interface included): nobody formats or parses a number.
   */
  async insertSamples(batch: SampleBatch, token: string): Promise<void> {
    if (batch.length === 0) return;
    const encoder = this.#idleNativeEncoders.pop() ?? new NativeSampleEncoder();
    try {
      await this.#insertBody(TABLES.samples, SAMPLE_COLUMNS, encoder.encode(batch), token, 'Native');
    } finally {
      this.#idleNativeEncoders.push(encoder);
    }
  }

  async insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
    token: string,
  ): Promise<void> {
    if (rows.length === 0) return;
    for (const row of rows) {
      if (row.length !== columns.length)
        throw new Error(`insert into ${table}: a row has ${row.length} values for ${columns.length} columns`);
    }
    await this.#insertBody(table, columns, encodeJsonRows(rows), token);
  }

  insertDeadLetters(rows: readonly DeadLetterRow[], token: string): Promise<void> {
    return this.insertRows(TABLES.deadLetters, DEAD_LETTER_COLUMNS, rows.map(deadLetterValues), token);
  }

  insertEvents(events: readonly GpuEvent[], token: string): Promise<void> {
    return this.insertRows(TABLES.gpuEvents, GPU_EVENT_COLUMNS, events.map(gpuEventValues), token);
  }

  insertAlertHistory(rows: readonly AlertHistoryRow[], token: string): Promise<void> {
    return this.insertRows(TABLES.alertHistory, ALERT_HISTORY_COLUMNS, rows.map(alertHistoryValues), token);
  }

  newestStored(batch: SampleBatch, rows: readonly number[]): Promise<Float64Array> {
    return newestStored(<T>(sql: string) => this.query<T>(sql), `${this.database}.${TABLES.samples}`, batch, rows);
  }

  eventStored(event: GpuEvent): Promise<boolean> {
    return eventStored(<T>(sql: string) => this.query<T>(sql), `${this.database}.${TABLES.gpuEvents}`, event);
  }

  storedIdentities(batch: SampleBatch, rows: readonly number[]): Promise<Set<number>> {
    return storedIdentities(<T>(sql: string) => this.query<T>(sql), `${this.database}.${TABLES.samples}`, batch, rows);
  }

  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    return withRetry('query', this.#retry, this.#onRetry, async () => {
      const result = await this.client.query({ query: sql, format: 'JSONEachRow', query_params: params ?? {} });
      return result.json<T>();
    });
  }

  async command(sql: string): Promise<void> {
    // Not retried: a statement is not known to be safe to repeat (a CREATE without IF NOT EXISTS, an INSERT SELECT).
    await this.client.command({ query: sql });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * One INSERT of a prepared body, one attempt. The embedded engine takes a JSONCompactEachRow body through chdb's own
   * insert and a Native one from a file; a server takes either as the request body.
   */
  async #insertBody(
    table: string,
    columns: readonly string[],
    body: string | Buffer,
    token: string,
    format: InsertFormat = 'JSONCompactEachRow',
  ): Promise<void> {
    const qualified = checkedTableName(table.includes('.') ? table : `${this.database}.${table}`);
    const settings = insertSettings(token, this.#insertSettings);
    const engine = this.engine;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const identifiers = columns.map(checkedIdentifier);
    if (engine === undefined) {
      const result = await this.client.exec({
        query: insertStatement(qualified, columns, settings, format),
        values: Readable.from([bytes], { objectMode: false }),
      });
      result.stream.resume();
      await finished(result.stream);
    } else if (format === 'Native') {
      await engine.insertNative(qualified, identifiers, bytes, settings);
    } else {
      await engine.insert(qualified, identifiers, bytes, settings);
    }
  }
}
