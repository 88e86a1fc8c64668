import { hostname } from 'node:os';
import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { ensureStreams, openCoordinationBucket, PartitionLeases, retryTransient, streamOptions } from '@kiln/nats';
import { AggregatorStats } from './aggregator.js';
import { CHECKPOINT_BUCKET } from './checkpoint.js';
import { EPISODE_BUCKET } from './episode-journal.js';
import { startPartition, type RunningPartition } from './partition.js';
import type { AggregatorStore } from './store.js';

/** The window counters of all partitions this process serves and has served. */
export interface WindowTotals {
  readonly windowsClosed: number;
  readonly late: number;
  /** Samples too far ahead of their partition's event time to be windowed (WindowCore.early). */
  readonly early: number;
  /** The lowest watermark among the partitions served now: how far behind the slowest one closes windows. */
  readonly watermark: number;
}

export interface AggregatorService {
  /** This process's name among the aggregators. */
  readonly instance: string;
  readonly stats: AggregatorStats;
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
 * Wires an aggregator process: streams, the checkpoint bucket, and a share of the partitions held through leases.
 * Each partition served runs its own consumer, windows and detectors (startPartition); a partition whose owner dies
 * is taken by a survivor, which resumes from the partition's checkpoint.
 */
export async function startAggregator(
  config: KilnConfig,
  deps: { nc: NatsConnection; store: AggregatorStore; log: Logger },
): Promise<AggregatorService> {
  // Started together with its NATS cluster, the aggregator waits for JetStream instead of exiting.
  const jsm = await retryTransient('JetStream', () => jetstreamManager(deps.nc));
  await ensureStreams(jsm, streamOptions(config.nats));
  const js = jetstream(deps.nc);
  const checkpoints = await openCoordinationBucket(js, CHECKPOINT_BUCKET, { replicas: config.nats.replicas });
  const episodes = await openCoordinationBucket(js, EPISODE_BUCKET, { replicas: config.nats.replicas });
  const instance = config.aggregator.instance ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`;
  const log = deps.log.child({ instance });
  const stats = new AggregatorStats();
  const running = new Map<number, RunningPartition>();
  /** Counters of partitions no longer served, so that totals never go down. */
  const retired = { windowsClosed: 0, late: 0, early: 0 };
  const retire = (p: RunningPartition): void => {
    if (running.get(p.partition) !== p) return;
    running.delete(p.partition);
    retired.windowsClosed += p.windows.windowsClosed;
    retired.late += p.windows.late;
    retired.early += p.windows.early;
  };
  let leases: PartitionLeases | undefined;
  /** Starts a run of partition k. Its callbacks act only while that run serves k: an earlier, abandoned run may still
   *  finish a write that a later run of this same process fences off. */
  const serve = async (k: number): Promise<void> => {
    const p: RunningPartition = await startPartition(k, {
      config,
      js,
      jsm,
      checkpoints,
      episodes,
      store: deps.store,
      stats,
      log,
      onFenced: () => {
        if (running.get(k) === p) leases?.lost(k, 'taken over by another aggregator');
      },
      onInterrupted: () => {
        if (running.get(k) !== p) return;
        retire(p);
        void p
          .abandon()
          .then(() => serve(k))
          .catch((err: unknown) => {
            // Not served now: let the lease lapse, so that this or another aggregator takes the partition again.
            log.warn({ partition: k, err: String(err) }, 'could not restart the partition');
            leases?.lost(k, 'could not restart it');
          });
      },
    });
    running.set(k, p);
  };
  leases = await PartitionLeases.start(
    deps.nc,
    config.nats.replicas,
    { group: config.aggregator.consumer, instance, partitions: config.nats.partitions, leaseMs: config.aggregator.lease_ms, log },
    {
      assigned: serve,
      async revoked(k, how) {
        const p = running.get(k);
        if (!p) return;
        retire(p);
        if (how === 'handover') await p.stop();
        else await p.abandon();
      },
    },
  );
  const served = (): RunningPartition[] => [...running.values()].sort((a, b) => a.partition - b.partition);
  return {
    instance,
    stats,
    windows: {
      get windowsClosed() {
        return served().reduce((n, p) => n + p.windows.windowsClosed, retired.windowsClosed);
      },
      get late() {
        return served().reduce((n, p) => n + p.windows.late, retired.late);
      },
      get early() {
        return served().reduce((n, p) => n + p.windows.early, retired.early);
      },
      get watermark() {
        return served().reduce((w, p) => (Number.isFinite(p.windows.watermark) ? Math.min(w, p.windows.watermark) : w), Infinity);
      },
    },
    partitions: () => served().map((p) => p.partition),
    consumers: () => served().map((p) => p.consumer),
    trackedGpus: () => served().reduce((n, p) => n + p.registry.size, 0),
    stop: () => leases.stop(),
  };
}
