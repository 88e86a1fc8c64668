import type { ChdbResult, Session } from 'chdb';
import type { EmbeddedEngine } from '../engine/embedded-engine.js';
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

const quoteIdentifier = (name: string): string => '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';

/**
 * Sessions on the embedded engine for HTTP requests. A request's settings become its session's command-line
 * settings, fixed for the session's life: nothing a request does persists into another request's settings (the
 * engine's SET would), and a reader's session has readonly=1 that no query can lift.
 *
 * Readers' sessions are pooled by (database, settings): Grafana repeats the same few. The writer gets a fresh
 * session per request, closed afterwards, because its statements may SET or USE. All engine work goes through the
 * engine's queue.
 */
export class HttpEngineSessions {
  readonly #readers = new Map<string, Session>();

  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly options: { maxExecutionTimeS: number; maxReaderSessions: number },
  ) {}

  /** The engine's setting names and time zone. */
  facts(): Promise<EngineFacts> {
    return this.engine.queue.run(async () => {
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

  /** Runs one read statement on a readonly=1 session. */
  async read(statement: Statement): Promise<ChdbResult> {
    const settings = new Map(statement.settings);
    const readonly = settings.get('readonly');
    if (readonly !== undefined && readonly !== '1' && readonly !== '2') {
      throw new ClickHouseHttpError(ErrorCode.READONLY, "Cannot modify 'readonly' setting in readonly mode");
    }
    settings.set('readonly', '1');
    const requested = Number(settings.get('max_execution_time') ?? 0);
    const cap = this.options.maxExecutionTimeS;
    settings.set('max_execution_time', String(requested > 0 && requested < cap ? requested : cap));
    return this.engine.queue.run(async () => run(await this.#readerSession(statement.database, settings), statement));
  }

  /** Runs one statement of the writer's, on a session of its own. */
  write(statement: Statement): Promise<ChdbResult> {
    return this.engine.queue.run(async () => {
      const session = await this.#open(statement.database, statement.settings);
      try {
        return await run(session, statement);
      } finally {
        session.close();
      }
    });
  }

  close(): Promise<void> {
    return this.engine.queue.run(async () => {
      for (const session of this.#readers.values()) session.close();
      this.#readers.clear();
    });
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
