import { mkdirSync } from 'node:fs';
import { Session } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { queuedConnection, type ClientConnection } from './queued-connection.js';
import { SerialQueue } from './serial-queue.js';

/**
 * The in-process ClickHouse engine (chdb) bound to one data directory. libchdb binds a single data path per process;
 * several sessions on that path coexist, each with its own session settings. All of them share one queue, so the
 * engine runs one statement at a time whoever asks: the store's client or the HTTP interface.
 */
export class EmbeddedEngine {
  readonly queue = new SerialQueue();
  /** The connection `@clickhouse/client` runs on, already queued; closing the client closes it. */
  readonly connection: ClientConnection;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    const chdb = createChdbConnection({ path });
    // chdb implements the contract of @clickhouse/client-common 1.23.0, the client bundles its own copy (1.23.1) of
    // the same declarations; the shapes agree at run time, only the settings type's nominal identity differs.
    this.connection = queuedConnection(chdb as unknown as ClientConnection, this.queue);
  }

  /**
   * A new session on the engine's data path. `connectionArgs` are `clickhouse local` command-line settings
   * (`--readonly=1`, `--max_execution_time=30`): they become the session's defaults, which is the only way to give a
   * session settings that its own queries cannot change afterwards. Run its queries through `queue`.
   */
  openSession(connectionArgs: readonly string[]): Session {
    return new Session(this.path, { connectionArgs });
  }
}
