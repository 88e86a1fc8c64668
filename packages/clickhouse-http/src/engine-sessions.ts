import { randomUUID } from 'node:crypto';
import type { ChdbResult, Session } from 'chdb';
import { sqlString, type EmbeddedEngine } from '@kiln/store';
import { ClickHouseHttpError, ErrorCode, toClickHouseHttpError } from './clickhouse-exception.js';

export interface Statement {
  sql: string;
  database: string | undefined;
  format: string;
  settings: ReadonlyMap<string, string>;
  params: Record<string, string | null>;
}

/** What the engine reports about itself, once. */
export interface EngineFacts {
  /** Names of its query settings. */
  settings: ReadonlySet<string>;
  timezone: string;
}

/**
 * What an anonymous read may use at most, whatever its request asks (a request may ask for less). Grafana-sized: a
 * dashboard panel reads thousands of rows, not millions, in seconds.
 */
export interface ReadLimits {
  /** Seconds; past it the engine stops the query with TIMEOUT_EXCEEDED. */
  readonly maxExecutionTimeS: number;
  /** Bytes of memory one query may hold (MEMORY_LIMIT_EXCEEDED past it). */
  readonly maxMemoryUsage: number;
  /** Rows in a result (TOO_MANY_ROWS_OR_BYTES past it). */
  readonly maxResultRows: number;
  /** Threads one read may run on: fewer than the cores, so the engine's inserts keep some. */
  readonly maxThreads: number;
}

/** The engine setting that enforces each limit. */
const LIMIT_SETTINGS: Readonly<Record<keyof ReadLimits, string>> = {
  maxExecutionTimeS: 'max_execution_time',
  maxMemoryUsage: 'max_memory_usage',
  maxResultRows: 'max_result_rows',
  maxThreads: 'max_threads',
};

const quoteIdentifier = (name: string): string => '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';

/**
 * Sessions on the embedded engine for HTTP requests. A request's settings become its session's command-line
 * settings, fixed for the session's life: nothing a request does persists into another request's settings (the
 * engine's SET would), and a reader's session has readonly=1 that no query can lift.
 *
 * Readers' sessions are pooled by (database, settings): Grafana repeats the same few. The writer gets a fresh
 * session per request, closed afterwards, because its statements may SET or USE. Readers run in the engine's read
 * lane, under ReadLimits, and a read whose client has gone away is stopped (or never started); the writer runs in
 * the write lane with the store's own inserts.
 */
export class HttpEngineSessions {
  readonly #readers = new Map<string, Session>();

  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly options: { limits: ReadLimits; maxReaderSessions: number },
  ) {}

  /** The engine's setting names and time zone. */
  facts(): Promise<EngineFacts> {
    return this.engine.reads.run(async () => {
      const session = this.engine.openSession([]);
      try {
        const names = (await session.queryAsync('SELECT name FROM system.settings', { format: 'TSV' })).text();
        const timezone = (await session.queryAsync('SELECT timezone()', { format: 'TSV' })).text().trim();
        return { settings: new Set(names.split('\n').filter((n) => n !== '')), timezone };
      } finally {
        session.close();
      }
    });
  }

  /**
   * Runs one read statement on a readonly=1 session, within the read limits. `cancelled` aborts when the client has
   * gone away: a read still waiting for the lane is dropped, a running one is killed, so neither holds up the reads
   * behind it.
   */
  async read(statement: Statement, cancelled: AbortSignal): Promise<ChdbResult> {
    const settings = new Map(statement.settings);
    const readonly = settings.get('readonly');
    if (readonly !== undefined && readonly !== '1' && readonly !== '2') {
      throw new ClickHouseHttpError(ErrorCode.READONLY, "Cannot modify 'readonly' setting in readonly mode");
    }
    settings.set('readonly', '1');
    // The read's threads at the lowest CPU priority (nice 19, restored after the query): on a busy machine the
    // inserts and the aggregator's thread come first. Lowering a priority needs no privilege.
    settings.set('os_thread_priority', '19');
    for (const [limit, setting] of Object.entries(LIMIT_SETTINGS) as [keyof ReadLimits, string][]) {
      const requested = Number(settings.get(setting) ?? 0);
      const cap = this.options.limits[limit];
      settings.set(setting, String(requested > 0 && requested < cap ? requested : cap));
    }
    return this.engine.reads.run(async () => {
      if (cancelled.aborted)
        throw new ClickHouseHttpError(ErrorCode.QUERY_WAS_CANCELLED, 'the client went away before the query started');
      const session = await this.#readerSession(statement.database, settings);
      // The marker finds the query among the engine's processes, to kill it when its client goes away.
      const marker = `kiln-read:${randomUUID()}`;
      const kill = (): void => void this.#kill(marker);
      cancelled.addEventListener('abort', kill, { once: true });
      try {
        return await run(session, { ...statement, sql: `${statement.sql}\n/* ${marker} */` });
      } finally {
        cancelled.removeEventListener('abort', kill);
      }
    });
  }

  /** Runs one statement of the writer's, on a session of its own. */
  write(statement: Statement): Promise<ChdbResult> {
    return this.engine.writes.run(async () => {
      const session = await this.#open(statement.database, statement.settings);
      try {
        return await run(session, statement);
      } finally {
        session.close();
      }
    });
  }

  /**
   * Runs the writer's `INSERT … FORMAT Native`: `head` is the statement up to its FORMAT clause; the body is read from
   * a file, as the engine's own Native inserts are.
   */
  insertNative(head: Statement, body: Uint8Array): Promise<ChdbResult> {
    return this.engine.withBodyFile(body, (file) =>
      this.write({ ...head, sql: `${head.sql} SELECT * FROM file(${sqlString(file)}, 'Native')` }),
    );
  }

  close(): Promise<void> {
    return this.engine.reads.run(async () => {
      for (const session of this.#readers.values()) session.close();
      this.#readers.clear();
    });
  }

  /** Stops a running read, from a session of its own: the read lane is busy with it. */
  async #kill(marker: string): Promise<void> {
    const session = this.engine.openSession([]);
    try {
      await session.queryAsync(`KILL QUERY WHERE query LIKE '%${marker}%' ASYNC`);
    } catch {
      // Finished meanwhile: nothing to stop.
    } finally {
      session.close();
    }
  }

  async #readerSession(database: string | undefined, settings: ReadonlyMap<string, string>): Promise<Session> {
    const key = JSON.stringify([database ?? '', [...settings].sort()]);
    const pooled = this.#readers.get(key);
    if (pooled !== undefined) {
      // Most recently used last, so the first entry is the one to evict.
      this.#readers.delete(key);
      this.#readers.set(key, pooled);
      return pooled;
    }
    const session = await this.#open(database, settings);
    if (this.#readers.size >= this.options.maxReaderSessions) {
      const [oldestKey, oldest] = this.#readers.entries().next().value!;
      this.#readers.delete(oldestKey);
      oldest.close();
    }
    this.#readers.set(key, session);
    return session;
  }

  /** A session with `settings` as its defaults, in `database`. Runs inside the queue. */
  async #open(database: string | undefined, settings: ReadonlyMap<string, string>): Promise<Session> {
    let session: Session;
    try {
      session = this.engine.openSession([...settings].map(([name, value]) => `--${name}=${value}`));
    } catch (error) {
      throw new ClickHouseHttpError(
        ErrorCode.BAD_ARGUMENTS,
        `cannot apply the settings ${[...settings.keys()].join(', ')}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (database !== undefined && database !== '' && database !== 'default') {
      try {
        await session.queryAsync(`USE ${quoteIdentifier(database)}`);
      } catch (error) {
        session.close();
        throw toClickHouseHttpError(error);
      }
    }
    return session;
  }
}

function run(session: Session, statement: Statement): Promise<ChdbResult> {
  const options = { format: statement.format };
  return Object.keys(statement.params).length > 0
    ? session.queryBindAsync(statement.sql, statement.params, options)
    : session.queryAsync(statement.sql, options);
}
