import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { ensureStreams, openCoordinationBucket, retryTransient, streamOptions } from '@kiln/nats';
import { CHECKPOINT_BUCKET } from './checkpoint.js';
import { EPISODE_BUCKET } from './episode-journal.js';
import { IngestStats } from './ingest-stats.js';
import type { IngestStore } from './ingest-store.js';
import { startPartition, type RunningPartition } from './partition.js';

/** The window counters of all partitions this process serves and has served. */
export interface WindowTotals {
  readonly windowsClosed: number;
  readonly late: number;
  /** Samples too far ahead of their partition's event time to be windowed (WindowCore.early). */
  readonly early: number;
  /** The lowest watermark among the partitions served now: how far behind the slowest one closes windows. */
  readonly watermark: number;
}

export interface IngestDeps {
  nc: NatsConnection;
  store: IngestStore;
  log: Logger;
  /** Partition k is no longer served and cannot be served again by this process now (its lease should lapse). */
  onLost: (k: number, reason: string) => void;
}

/** The partitions one process serves, whoever decides which (the aggregator's leases, or a test serving them all). */
export interface Ingest {
  readonly stats: IngestStats;
  readonly windows: WindowTotals;
  /** Starts serving partition k from its checkpoint, fencing off a previous owner. */
  serve(k: number): Promise<void>;
  /** Stops serving partition k: storing what is in hand ('handover'), or dropping it for its new owner ('abandon'). */
  release(k: number, how: 'handover' | 'abandon'): Promise<void>;
  /** The partitions served now, in order. */
  partitions(): number[];
  /** The durable consumers of the partitions served now. */
  consumers(): string[];
  /** GPUs tracked by the partitions served now (GPUs that left the fleet are forgotten after a horizon). */
  trackedGpus(): number;
  /** Hands every partition served over, storing what is in hand. */
  stop(): Promise<void>;
}

/**
 * Opens ingest for a process: the streams, the checkpoint and episode buckets, and the partitions it is told to
 * serve. Each partition served runs its own consumer, windows and detectors (startPartition); a run that ends on its
 * own (a stalled or cut-off pull) is followed by a new one from the partition's checkpoint.
 */
export async function openIngest(config: KilnConfig, deps: IngestDeps): Promise<Ingest> {
  // Started together with its NATS cluster, the aggregator waits for JetStream instead of exiting.
  const jsm = await retryTransient('JetStream', () => jetstreamManager(deps.nc));
  await ensureStreams(jsm, streamOptions(config.nats));
  const js = jetstream(deps.nc);
  const checkpoints = await openCoordinationBucket(js, CHECKPOINT_BUCKET, { replicas: config.nats.replicas });
  const episodes = await openCoordinationBucket(js, EPISODE_BUCKET, { replicas: config.nats.replicas });
  const { log } = deps;
  const stats = new IngestStats();
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
        if (running.get(k) === p) deps.onLost(k, 'taken over by another aggregator');
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
            deps.onLost(k, 'could not restart it');
          });
      },
    });
    running.set(k, p);
  };
  const release = async (k: number, how: 'handover' | 'abandon'): Promise<void> => {
    const p = running.get(k);
    if (!p) return;
    retire(p);
    if (how === 'handover') await p.stop();
    else await p.abandon();
  };
  const served = (): RunningPartition[] => [...running.values()].sort((a, b) => a.partition - b.partition);
  return {
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
        return served().reduce(
          (w, p) => (Number.isFinite(p.windows.watermark) ? Math.min(w, p.windows.watermark) : w),
          Infinity,
        );
      },
    },
    serve,
    release,
    partitions: () => served().map((p) => p.partition),
    consumers: () => served().map((p) => p.consumer),
    trackedGpus: () => served().reduce((n, p) => n + p.registry.size, 0),
    async stop() {
      for (const p of served()) await release(p.partition, 'handover');
    },
  };
}
