import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { serveClickHouseHttp } from '@kiln/clickhouse-http';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { connectNats, partitionMapping, startNatsServer, type FirstConnect, type NatsServerHandle } from '@kiln/nats';
import { createStore, type Store } from '@kiln/store';
import { CommandError } from './command-error.js';

/** The pieces a kiln command may start, each with its own clean shutdown. */

export interface NatsHandle {
  nc: NatsConnection;
  /** Set when this process started its own nats-server. */
  server?: NatsServerHandle;
  url: string;
  close(): Promise<void>;
}

/**
 * Connects to nats.url, or (kiln up without nats.url) starts nats-server from PATH with JetStream under data_dir.
 * `first` says whether an unreachable NATS fails the command (one-shot commands) or is waited for (services).
 */
export async function openNats(
  config: KilnConfig,
  name: string,
  opts: { startServer: boolean; first: FirstConnect },
): Promise<NatsHandle> {
  let server: NatsServerHandle | undefined;
  if (!config.nats.url && opts.startServer) {
    const partitions = config.nats.partitions;
    server = await startNatsServer({
      dir: join(config.data_dir, 'nats'),
      port: config.nats.port,
      // The server maps each sample subject to its rack's partition, as every server of a partitioned deployment must.
      ...(partitions > 1 ? { extraConfig: partitionMapping(partitions) } : {}),
    });
  }
  const servers = server?.url ?? config.nats.url ?? 'nats://127.0.0.1:4222';
  const nc = await connectNats(config.nats, { name, servers }, opts.first);
  return {
    nc,
    ...(server ? { server } : {}),
    url: Array.isArray(servers) ? servers.join(',') : servers,
    async close() {
      await nc.drain().catch(() => nc.close());
      await server?.stop();
    },
  };
}

/** For a service: an unreachable NATS is waited for, and said so in the log. */
export function waitForNats(log: Logger): FirstConnect {
  return { onWaiting: (servers, err) => log.warn({ err: err.message }, `waiting for NATS at ${servers}`) };
}

/** The configured store (a ClickHouse server when clickhouse.url is set, else the embedded engine), migrated. */
export async function openStore(config: KilnConfig): Promise<Store> {
  await mkdir(config.data_dir, { recursive: true });
  const store = await createStore({
    url: config.clickhouse.url,
    ...(config.clickhouse.user !== undefined ? { user: config.clickhouse.user } : {}),
    ...(config.clickhouse.password !== undefined ? { password: config.clickhouse.password } : {}),
    dataDir: config.data_dir,
    retention: { rawDays: config.clickhouse.raw_retention_days },
    ...(config.clickhouse.cluster !== undefined ? { cluster: config.clickhouse.cluster } : {}),
  });
  await store.migrate();
  return store;
}

/** Serves the embedded engine on ClickHouse's HTTP interface; writes need the configured writer credentials. */
export async function serveStore(
  store: Store,
  config: KilnConfig,
  log: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  const { user, password } = config.clickhouse;
  const writer = user !== undefined && password !== undefined ? { user, password } : undefined;
  if (!writer) log.warn('clickhouse.user/password are not set: the HTTP interface is read-only for everyone');
  const limits = config.clickhouse.read_limits;
  const readLimits = Object.fromEntries(
    Object.entries({
      maxExecutionTimeS: limits.max_execution_time_s,
      maxMemoryUsage: limits.max_memory_usage,
      maxResultRows: limits.max_result_rows,
      maxThreads: limits.max_threads,
    }).filter(([, value]) => value !== undefined),
  );
  return serveClickHouseHttp(store, { listen: config.clickhouse.listen, readLimits, ...(writer ? { writer } : {}) });
}

/**
 * A store for ad-hoc queries, never a new one: a query against a store nobody wrote to would only find nothing. The
 * embedded engine admits one process per data directory, so while `kiln up` or `kiln store` serves it, queries go
 * through its HTTP interface (with the configured credentials, if any); otherwise the engine's files are opened, if
 * data_dir has them. A ClickHouse server (clickhouse.url) is queried as it is, without migrating it.
 */
export async function openQueryStore(config: KilnConfig, source: string): Promise<Store> {
  const credentials = {
    ...(config.clickhouse.user !== undefined ? { user: config.clickhouse.user } : {}),
    ...(config.clickhouse.password !== undefined ? { password: config.clickhouse.password } : {}),
  };
  if (config.clickhouse.url)
    return createStore({ url: config.clickhouse.url, ...credentials, dataDir: config.data_dir });
  const served = `http://${config.clickhouse.listen}`;
  const ping = await fetch(`${served}/ping`, { signal: AbortSignal.timeout(1_000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (ping) return createStore({ url: served, ...credentials, dataDir: config.data_dir });
  const files = join(config.data_dir, 'clickhouse');
  if (!existsSync(join(files, 'metadata'))) {
    throw new CommandError(
      [
        `no Kiln data to query: nothing serves ${served} (kiln store / kiln up) and ${files} holds no ClickHouse data`,
        `  (data_dir ${config.data_dir}, from ${source}).`,
        '  Point it at the data: --config FILE (the data_dir or clickhouse.url of the running Kiln),',
        '  KILN_DATA_DIR=DIR, or KILN_CLICKHOUSE_URL=http://host:8123 for a ClickHouse server.',
      ].join('\n'),
    );
  }
  return createStore({ ...credentials, dataDir: config.data_dir });
}
