import type { JsMsg } from '@nats-io/jetstream';
import type { PartitionAnalysis } from '@kiln/window';
import { decodeMessage, MAX_GPUS_PER_MESSAGE, type DecodeLimits } from '@kiln/wire';
import type { Checkpoint, PendingBatch } from './checkpoint.js';
import { IngestBatch } from './ingest-batch.js';
import type { IngestStats } from './ingest-stats.js';
import { SampleNovelty, type LatestSample } from './latest-sample.js';

/** Rows a batch's arrays start with; they double as needed up to the partition's share of batch_rows. */
const INITIAL_BATCH_ROWS = 4096;

/**
 * The transform stage: decodes each message into the batch being filled, gives its samples dense GPU ids, analyses
 * the ones known to be in order as they come (detectors and windows see event time in order) and marks the rest for
 * the identity check. Two batches take turns: one filling while the other is written. While a run interrupted by a
 * restart is rebuilt (the checkpoint's pending batch), the batch holds that run whole, under its range.
 */
export class BatchBuilder {
  private current: IngestBatch;
  private readonly free: IngestBatch[] = [];
  /** Highest stream sequence accepted into a batch: anything at or below it is a redelivery. */
  private highestSeen = 0;
  /** The run recorded as pending by a process that died, being rebuilt from redelivered messages. */
  private replaying: PendingBatch | undefined;

  constructor(
    private readonly deps: {
      /** A batch is full at this many rows (a batch rebuilding an interrupted run holds that run whole). */
      batchRows: number;
      limits: DecodeLimits;
      stats: IngestStats;
      analysis: PartitionAnalysis;
      latest: LatestSample;
      /** The stream sequence up to which everything is stored (Committer.stored). */
      stored: () => number;
      /** The rebuilt run is whole: it is to be stored now. */
      onRunRebuilt: () => void;
    },
  ) {
    const initial = Math.min(deps.batchRows, INITIAL_BATCH_ROWS) + MAX_GPUS_PER_MESSAGE;
    this.current = new IngestBatch(initial, deps.batchRows + MAX_GPUS_PER_MESSAGE);
    this.free.push(new IngestBatch(initial, deps.batchRows + MAX_GPUS_PER_MESSAGE));
  }

  /** Starts after the checkpoint: its pending run, if any, is rebuilt first. */
  resume(cp: Checkpoint): void {
    this.highestSeen = cp.stored;
    this.replaying = cp.pending;
  }

  /** The batch being filled. */
  get filling(): IngestBatch {
    return this.current;
  }

  get rebuilding(): boolean {
    return this.replaying !== undefined;
  }

  /** Whether the batch being filled has no room for another message (never while a run is rebuilt). */
  get full(): boolean {
    return !this.replaying && this.current.samples.length + MAX_GPUS_PER_MESSAGE > this.deps.batchRows;
  }

  /** Whether everything accepted is stored, as far as this stage knows: nothing in hand. */
  settled(): boolean {
    return this.current.empty && this.deps.stored() === this.highestSeen;
  }

  /** Whether a batch is free to take the filling one's place. */
  get hasFree(): boolean {
    return this.free.length > 0;
  }

  /** Swaps in a free batch and returns the filled one; undefined when nothing was filled. Needs hasFree. */
  close(): IngestBatch | undefined {
    const b = this.current;
    if (b.empty) return undefined;
    this.current = this.free.pop()!;
    return b;
  }

  /** A batch written (or given up) is cleared for reuse. */
  release(b: IngestBatch): void {
    b.clear();
    this.free.push(b);
  }

  accept(m: JsMsg, wallNow: number): void {
    const seq = m.seq;
    const { stats, analysis, latest } = this.deps;
    if (this.replaying && seq > this.replaying.last) this.finishReplay();
    const replaying = this.replaying;
    if (seq <= this.highestSeen) {
      // Redelivered: either stored already (its ack was lost) or in a batch still being written.
      if (seq <= this.deps.stored()) m.ack();
      stats.redeliveriesSkipped++;
      return;
    }
    this.highestSeen = seq;
    const b = this.current;
    if (b.empty) {
      b.first = seq;
      b.nowMs = replaying ? replaying.nowMs : wallNow;
      b.openedAt = wallNow;
    }
    b.last = seq;
    b.lastMessage = m;
    const messageIndex = b.messageCount++;
    stats.messages++;
    b.reserve(MAX_GPUS_PER_MESSAGE);
    const samples = b.samples;
    const before = samples.length;
    const result = decodeMessage(m.subject, m.data, b.nowMs, this.deps.limits, samples, stats.decode, messageIndex);
    if (!result.ok) {
      b.rejected.push({ msg: m, reason: result.reason, detail: result.detail });
      stats.rejected++;
      if (replaying && seq === replaying.last) this.finishReplay();
      return;
    }
    const { registry } = analysis;
    for (let row = before; row < samples.length; row++) {
      const gpuId = registry.id(samples.cluster[row]!, samples.rack[row]!, samples.host[row]!, samples.gpu[row]!);
      b.gpuIds[row] = gpuId;
      const novelty = latest.advance(gpuId, samples.ts[row]!);
      // In-order samples are analysed as they come, so detectors and windows see event time in order; storage
      // verifies the unverified ones before they are stored. A sample not newer than a known one waits for that check.
      if (novelty !== SampleNovelty.NOT_NEWER) analysis.analyse(samples, row, gpuId);
      else b.deferred.push(row);
      if (novelty !== SampleNovelty.NEW) b.suspects.push(row);
    }
    if (replaying && seq === replaying.last) this.finishReplay();
  }

  /**
   * Closes the batch rebuilt from the interrupted run [first, last] and has it stored under that run's range (and so
   * its deduplication token), whether or not every message of the range is still in the stream.
   */
  finishReplay(): void {
    const run = this.replaying;
    if (!run) return;
    this.replaying = undefined;
    this.highestSeen = Math.max(this.highestSeen, run.last);
    const b = this.current;
    if (b.empty) return; // the whole run aged out of the stream: nothing left to store
    b.first = run.first;
    b.last = run.last;
    b.recorded = run;
    this.deps.onRunRebuilt();
  }
}
