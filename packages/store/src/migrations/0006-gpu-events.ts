import { DEDUPLICATION_WINDOW, type Migration } from './migration.js';
import { RACK_SHARDING_KEY } from './0001-initial-schema.js';

/**
 * kiln.gpu_events: one row per event an agent published (an Xid from the kernel log), so every occurrence is
 * counted. `gpu` is NULL (and `uuid` empty) where the agent could not map the event's PCI bus id to a GPU. The
 * identity of an event is (cluster, host, seq): the aggregator looks it up before inserting, so a replayed event is
 * stored once. Events are few and worth keeping: they stay as long as the 1-minute rollup.
 */
export const gpuEvents: Migration = {
  version: 6,
  name: 'gpu events',
  statements({ retention }) {
    return [
      {
        kind: 'table',
        name: 'gpu_events',
        columns: `    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    cluster LowCardinality(String) CODEC(ZSTD(1)),
    rack LowCardinality(String) CODEC(ZSTD(1)),
    host LowCardinality(String) CODEC(ZSTD(1)),
    seq UInt64 CODEC(ZSTD(1)),
    kind LowCardinality(String) CODEC(ZSTD(1)),
    gpu Nullable(UInt8) CODEC(ZSTD(1)),
    uuid LowCardinality(String) CODEC(ZSTD(1)),
    code UInt16 CODEC(ZSTD(1)),
    message String CODEC(ZSTD(3))`,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMM(ts)',
        orderBy: '(cluster, rack, host, ts, seq)',
        ttl: `toDateTime(ts) + INTERVAL ${retention.rollup1mDays} DAY DELETE`,
        settings: { ttl_only_drop_parts: 1 },
        deduplicationWindow: DEDUPLICATION_WINDOW,
        shardingKey: RACK_SHARDING_KEY,
      },
    ];
  },
};
