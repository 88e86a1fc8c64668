// Before chdb: its allocator reads its configuration when libchdb loads.
import './engine-allocator.js';
import { mkdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseError } from '@clickhouse/client';
import { Session } from 'chdb';
import { ConcurrencyLimit } from '@kiln/flow';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import { settingList, sqlString } from '../insert/insert-statement.js';
import { queuedConnection, type ClientConnection } from './queued-connection.js';

/**
 * The in-process ClickHouse engine (chdb) bound to one data directory. libchdb binds a single data path per process;
 * several sessions on that path coexist, each with its own session settings, and run their statements concurrently.
 * Statements go through one of two lanes, each a queue that runs one at a time, in arrival order (a statement waits
 * here rather than on a libuv worker thread inside libchdb, which keeps the libuv pool free for file and network work):
 * - `writes`: the store's client (inserts, migrations, Kiln's own queries) and the HTTP interface's writer;
 * - `reads`: the HTTP interface's anonymous readers (Grafana, operators).
 * So a dashboard query, however heavy, never holds an insert back; it only waits for other reads.
 */
export class EmbeddedEngine {
  readonly writes = new ConcurrencyLimit(1);
  readonly reads = new ConcurrencyLimit(1);
  /** The connection `@clickhouse/client` runs on, already queued; closing the client closes it. */
  readonly connection: ClientConnection;
  readonly #chdb: ChdbConnection;
  /** Where Native insert bodies wait for the engine to read them. */
  readonly #bodies: string;
  #bodyCount = 0;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    // Bodies a killed process left behind are of inserts that never finished (their batches are inserted again).
    this.#bodies = join(path, 'kiln_insert_bodies');
    rmSync(this.#bodies, { recursive: true, force: true });
    mkdirSync(this.#bodies, { recursive: true });
    this.#chdb = createChdbConnection({ path });
    // chdb implements the contract of @clickhouse/client-common 1.23.0, the client bundles its own copy (1.23.1) of
    // the same declarations; the shapes agree at run time, only the settings type's nominal identity differs.
    this.connection = queuedConnection(this.#chdb as unknown as ClientConnection, this.writes);
  }

  /**
   * Inserts a JSONCompactEachRow body through chdb's own insert: the bytes reach the engine's parser as they are,
   * where the client's connection hook would decode them into a JS string, append it to the statement and encode it
   * again (test/bench/store-insert.js measures both). `settings` go into the statement's SETTINGS clause, so they
   * hold for this insert only. Engine errors are thrown as the client's ClickHouseError (code and type), as on the
   * client's path.
   */
  insert(
    table: string,
    columns: readonly string[],
    body: Uint8Array,
    settings: Readonly<Record<string, string | number>>,
  ): Promise<void> {
    return this.writes.run(async () => {
      try {
        await this.#chdb.chdb.rawInsert({
          table,
          columns,
          values: body,
          format: 'JSONCompactEachRow',
          settings: { ...settings },
        });
      } catch (error) {
        throw asClickHouseError(error);
      }
    });
  }

  /**
   * Inserts a Native body (NativeSampleEncoder's): chdb's own insert takes text formats only, so the body is written
   * to a file under the engine's directory, read by `INSERT … SELECT * FROM file(…, 'Native')` and removed. The
   * statement carries `settings` (the deduplication token among them) as insert() does, and the token deduplicates
   * a repeated insert and its rollup views alike (store tests).
   */
  insertNative(
    table: string,
    columns: readonly string[],
    body: Uint8Array,
    settings: Readonly<Record<string, string | number>>,
  ): Promise<void> {
    return this.withBodyFile(body, (file) =>
      this.writes.run(async () => {
        try {
          await this.#chdb.chdb.queryAsync(
            `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM file(${sqlString(file)}, 'Native') SETTINGS ${settingList(settings)}`,
          );
        } catch (error) {
          throw asClickHouseError(error);
        }
      }),
    );
  }

  /**
   * Runs `use` with `body` in a file under the engine's directory, where a statement reads it with `file(path, …)`,
   * and removes the file afterwards. Call it before waiting for a lane: the file is written while the statement
   * before runs.
   */
  async withBodyFile<T>(body: Uint8Array, use: (file: string) => Promise<T>): Promise<T> {
    const file = join(this.#bodies, `${process.pid}-${++this.#bodyCount}.native`);
    await writeFile(file, body);
    try {
      return await use(file);
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * A new session on the engine's data path. `connectionArgs` are `clickhouse local` command-line settings
   * (`--readonly=1`, `--max_execution_time=30`): they become the session's defaults, which is the only way to give a
   * session settings that its own queries cannot change afterwards. Run its queries through one of the lanes.
   */
  openSession(connectionArgs: readonly string[]): Session {
    return new Session(this.path, { connectionArgs });
  }
}

/** An engine error as the client's ClickHouseError (code and type), as on the client's path. */
function asClickHouseError(error: unknown): unknown {
  return error instanceof Error ? Object.assign(parseError(error.message), { cause: error }) : error;
}
