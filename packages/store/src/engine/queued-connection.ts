import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import type { ConcurrencyLimit } from '@kiln/flow';

/** The connection hook of `@clickhouse/client` (typed from its config, which is where the client exposes it). */
export type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/**
 * Wraps the embedded engine's client connection so that every call waits its turn in the engine's queue, together
 * with the queries the HTTP interface runs on its own sessions.
 */
export function queuedConnection(inner: ClientConnection, queue: ConcurrencyLimit): ClientConnection {
  return {
    ping: (params) => queue.run(() => inner.ping(params)),
    query: (params) => queue.run(() => inner.query(params)),
    insert: (params) => queue.run(() => inner.insert(params)),
    command: (params) => queue.run(() => inner.command(params)),
    exec: (params) => queue.run(() => inner.exec(params)),
    close: () => queue.run(() => inner.close()),
  };
}
