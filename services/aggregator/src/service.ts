import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import { openIngest, type IngestStats, type IngestStore, type WindowTotals } from '@kiln/ingest';
import type { Logger } from '@kiln/log';
import { PartitionLeases } from '@kiln/nats';

export interface AggregatorService {
  /** This process's name among the aggregators. */
  readonly instance: string;
  readonly stats: IngestStats;
  readonly windows: WindowTotals;
  /** The partitions served now, in order. */
  partitions(): number[];
  /** The durable consumers of the partitions served now. */
  consumers(): string[];
  /** GPUs tracked by the partitions served now (GPUs that left the fleet are forgotten after a horizon). */
  trackedGpus(): number;
  /** Hands every partition over (storing what is in hand) and leaves. */
  stop(): Promise<void>;
}

/**
 * Wires an aggregator process: its name among the aggregators, and a share of the partitions held through leases,
 * each served by @kiln/ingest. A partition whose owner dies is taken by a survivor, which resumes from the
 * partition's checkpoint.
 */
export async function startAggregator(
  config: KilnConfig,
  deps: { nc: NatsConnection; store: IngestStore; log: Logger },
): Promise<AggregatorService> {
  const instance = config.aggregator.instance ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`;
  const log = deps.log.child({ instance });
  let leases: PartitionLeases | undefined;
  const ingest = await openIngest(config, {
    nc: deps.nc,
    store: deps.store,
    log,
    onLost: (k, reason) => leases?.lost(k, reason),
  });
  leases = await PartitionLeases.start(
    deps.nc,
    config.nats.replicas,
    {
      group: config.aggregator.consumer,
      instance,
      partitions: config.nats.partitions,
      leaseMs: config.aggregator.lease_ms,
      log,
    },
    {
      assigned: (k) => ingest.serve(k),
      revoked: (k, how) => ingest.release(k, how === 'handover' ? 'handover' : 'abandon'),
    },
  );
  return {
    instance,
    stats: ingest.stats,
    windows: ingest.windows,
    partitions: () => ingest.partitions(),
    consumers: () => ingest.consumers(),
    trackedGpus: () => ingest.trackedGpus(),
    stop: () => leases.stop(),
  };
}
