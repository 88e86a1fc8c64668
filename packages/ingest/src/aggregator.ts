import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, JetStreamClient, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { fingerprint, type AlertEvent } from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';
import type { PartitionAnalysis } from '@kiln/detect';
import type { Logger } from '@kiln/log';
import { alertSubject, GPU_STREAM } from '@kiln/nats';
import { DecodeStats, decodeMessage, dlqSubject, MAX_GPUS_PER_MESSAGE, type DecodeLimits } from '@kiln/wire';
import { SampleNovelty } from '@kiln/window';
import { FencedError, type Checkpoint, type CheckpointStore, type PendingBatch } from './checkpoint.js';
import type { EpisodeJournal } from './episode-journal.js';
import { ackLost, failpoint } from './failpoints.js';
import { IngestBatch } from './ingest-batch.js';
import { gpuKey, newestStored, storedIdentities, type AggregatorStore } from './store.js';

/** How long a partition may receive nothing while its consumer has messages waiting before its pull counts as stuck. */
const STALLED_PULL_MS = 15_000;
/** How often a quiet partition asks its consumer whether the pull is stuck. */
const STALL_CHECK_EVERY_MS = 5_000;
/** How long a rebuilt run waits for the rest of its messages before it is stored as it is. */
const REPLAY_QUIET_MS = 3_000;

/** A batch is stored once no message has come for this long, whatever flush_ms: the tail of a paused stream waits no more. */
const QUIET_FLUSH_MS = 1_000;

/** Rows a batch's arrays start with; they double as needed up to the partition's share of batch_rows. */
const INITIAL_BATCH_ROWS = 4096;

/**
 * A partition's share of aggregator.batch_rows: a process serving every partition buffers at most batch_rows (twice:
 * one batch filling while the other is written), and a partition's batch spans as many ticks of its GPUs as one
 * batch of batch_rows spans of the whole fleet. Ticks per batch are what make the rollup views cheap: a view writes
 * one row per GPU and window present in an insert.
 */
function batchRowsPerPartition(batchRows: number, partitions: number): number {
  return Math.ceil(batchRows / partitions);
}

export interface AggregatorDeps {
  /** The partition's durable consumer; also names its checkpoint and prefixes its insert deduplication tokens. */
  consumer: string;
  /** When this run created the consumer: a different one means another owner has recreated it since. */
  consumerCreated: string;
  /** Counters, shared by the partitions of one process. */
  stats: AggregatorStats;
  /** Called once when another aggregator has taken the partition over (a checkpoint write was fenced off). */
  onFenced: () => void;
  /** Called once when the run's pull ended or stalled on its own: the partition needs a new run from its checkpoint. */
  onInterrupted: () => void;
  js: JetStreamClient;
  store: AggregatorStore;
  checkpoint: CheckpointStore;
  /** The partition's firing alerts, for whoever serves it next. */
  episodes: EpisodeJournal;
  /** The partition's GPUs, event-time clock, windows and detectors. */
  analysis: PartitionAnalysis;
  log: Logger;
  config: KilnConfig;
}

/** Counters for progress lines and the metrics endpoint. */
export class AggregatorStats {
  messages = 0;
  samplesStored = 0;
  rejected = 0;
  redeliveriesSkipped = 0;
  /** Samples dropped because their identity was already stored (replays under new message ids). */
  duplicateSamples = 0;
  batches = 0;
  insertRetries = 0;
  alertsEmitted = 0;
  lastFlushMs = 0;
  readonly decode = new DecodeStats();
}

/**
 * Serves one partition of the GPU stream: reads it through the partition's durable pull consumer, decodes every
 * message, runs per-sample detectors and the window core as samples arrive, and stores raw samples in batches. A
 * message is acknowledged only once the batch holding it is durable (raw rows, dead letters, alert events); see
 * CheckpointStore for how a crash at any point leaves every sample stored exactly once.
 */
export class Aggregator {
  readonly stats: AggregatorStats;
  private current: IngestBatch;
  private readonly free: IngestBatch[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** Episode journal writes, one at a time, in the order the alert events were published. */
  private journaling: Promise<void> = Promise.resolve();
  private stored = 0;
  /** Batches being written whose rows still wait for their identity check (they hold GPU ids). */
  private checking = 0;
  /** Highest stream sequence accepted into a batch: anything at or below it is a redelivery. */
  private highestSeen = 0;
  /** The consumer's delivery sequence of the last message this run received; -1 before the first. */
  private lastDelivery = -1;
  /** When the last message arrived: for the stalled-pull check, the quiet flush and the end of a rebuilt run. */
  private lastMessageWall = Date.now();
  /** The consume loop waits for a batch to be written: the partition is held back, not quiet. */
  private backpressure = false;
  private checkingStall = false;
  /** When a quiet partition may next ask whether its pull is stuck. */
  private nextStallCheck = 0;
  private consumer?: Consumer;
  private messages?: ConsumerMessages;
  private stopping = false;
  /** The run recorded as pending by a process that died, being rebuilt from redelivered messages. */
  private replaying: PendingBatch | undefined;
  private timer?: NodeJS.Timeout;
  private readonly limits: DecodeLimits;
  private readonly tokenPrefix: string;
  /** A batch is flushed once it holds this many rows (a batch rebuilding an interrupted run holds that run whole). */
  private readonly batchRows: number;

  constructor(private readonly deps: AggregatorDeps) {
    const { batch_rows } = deps.config.aggregator;
    this.batchRows = batchRowsPerPartition(batch_rows, deps.config.nats.partitions);
    const initial = Math.min(this.batchRows, INITIAL_BATCH_ROWS) + MAX_GPUS_PER_MESSAGE;
    this.current = new IngestBatch(initial, this.batchRows + MAX_GPUS_PER_MESSAGE);
    this.free.push(new IngestBatch(initial, this.batchRows + MAX_GPUS_PER_MESSAGE));
    this.limits = {
      futureSkewMs: deps.config.aggregator.future_skew_ms,
      maxAgeMs: deps.config.clickhouse.raw_retention_days * 86_400_000,
      partitions: deps.config.nats.partitions,
    };
    this.tokenPrefix = deps.consumer;
    this.stats = deps.stats;
  }

  /** Finishes a batch interrupted by a crash, then consumes until stop(). Resolves when consuming ends. */
  async run(cp: Checkpoint): Promise<void> {
    this.stored = this.highestSeen = cp.stored;
    if (cp.pending) {
      this.deps.log.warn({ first: cp.pending.first, last: cp.pending.last }, 'finishing a batch interrupted by a restart');
      this.replaying = cp.pending;
    }
    const consumer = await this.deps.js.consumers.get(GPU_STREAM, this.deps.consumer);
    this.consumer = consumer;
    // The tick also moves a quiet partition's event time on and lets detectors conclude: at least ten a second.
    this.timer = setInterval(() => this.onTick(), Math.max(20, Math.min(100, Math.floor(this.deps.config.aggregator.flush_ms / 2))));
    this.timer.unref();
    try {
      this.messages = await consumer.consume({ max_messages: 2000, expires: 5_000 });
      for await (const m of this.messages) {
        const delivery = m.info.deliverySequence;
        // JetStream numbers every delivery of the consumer, redeliveries included. A number skipped is a message sent
        // to this run that never arrived (a NATS server died with it in flight): a batch stored across it, its
        // checkpoint and its acknowledgement (which covers all before it) would skip that message for good. So the
        // run ends there and the partition starts again from its checkpoint, as after a stalled pull.
        if (this.lastDelivery >= 0 && delivery !== this.lastDelivery + 1) {
          throw new Error(`delivery ${this.lastDelivery + 1} of the partition consumer never arrived (next came ${delivery})`);
        }
        this.lastDelivery = delivery;
        this.accept(m, Date.now());
        if (!this.replaying && this.current.samples.length + MAX_GPUS_PER_MESSAGE > this.batchRows) {
          this.backpressure = true;
          await this.flush();
          this.backpressure = false;
        }
      }
      if (!this.stopping) throw new Error('the pull ended');
    } catch (err) {
      if (!this.stopping) await this.interrupted(err);
    }
  }

  /**
   * The pull ended or stalled without being asked to. Messages the client held may be gone, and a run must see its
   * partition's messages without gaps (a later batch's acknowledgement covers everything before it), so this run
   * ends and the partition starts a new one from its checkpoint, as after a crash: unless a new owner recreated the
   * consumer, in which case this run is fenced off.
   */
  private async interrupted(err: unknown): Promise<void> {
    this.stopping = true;
    const info = await this.consumer?.info(false).catch(() => undefined);
    if (info !== undefined && info.created !== this.deps.consumerCreated) {
      this.deps.log.warn({ consumer: this.deps.consumer }, 'the partition consumer was recreated by another aggregator');
      this.deps.onFenced();
      return;
    }
    this.deps.log.warn({ err: String(err), consumer: this.deps.consumer }, 'consuming interrupted; restarting the partition from its checkpoint');
    this.deps.onInterrupted();
  }

  /**
   * No message for a while although the consumer has some waiting, or the consumer is gone: the pull is stuck (seen
   * after a NATS node died; nats.js keeps pulling from a deleted consumer without a word). Or everything read is
   * stored, yet the consumer still counts messages unacknowledged: the batch's acknowledgement was lost (sent while
   * the consumer's leader moved), and a pull cut off with it never brings their redelivery either.
   */
  private async checkStalledPull(): Promise<void> {
    this.checkingStall = true;
    this.nextStallCheck = Date.now() + STALL_CHECK_EVERY_MS;
    try {
      let stuck: string | undefined;
      try {
        const info = await this.consumer?.info(false);
        if (info !== undefined && info.num_pending > 0) stuck = `no message for ${STALLED_PULL_MS} ms with ${info.num_pending} waiting`;
        else if (info !== undefined && info.num_ack_pending > 0 && this.current.empty && this.stored === this.highestSeen) {
          stuck = `${info.num_ack_pending} stored messages unacknowledged for ${STALLED_PULL_MS} ms`;
        }
      } catch (err) {
        // NATS away: the next tick asks again; the consumer gone: this run cannot go on.
        if (/consumer not found/i.test(String(err))) stuck = 'the partition consumer is gone';
      }
      if (stuck !== undefined && !this.stopping && Date.now() - this.lastMessageWall > STALLED_PULL_MS) {
        await this.messages?.close();
        await this.interrupted(new Error(stuck));
      }
    } finally {
      this.checkingStall = false;
    }
  }

  /** Stops consuming, stores what is in hand and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.messages?.close();
    await this.flush();
    await this.writing;
    await this.journaling;
  }

  /**
   * Stops consuming and drops what is in hand unstored and unacknowledged: the partition has another owner, which
   * reads those messages again from the checkpoint.
   */
  async abandon(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.messages?.close();
  }

  private accept(m: JsMsg, wallNow: number): void {
    const seq = m.seq;
    this.lastMessageWall = wallNow;
    this.deps.analysis.arrived(wallNow);
    if (this.replaying && seq > this.replaying.last) this.finishReplay();
    const replaying = this.replaying;
    if (seq <= this.highestSeen) {
      // Redelivered: either stored already (its ack was lost) or in a batch still being written.
      if (seq <= this.stored) m.ack();
      this.stats.redeliveriesSkipped++;
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
    this.stats.messages++;
    b.reserve(MAX_GPUS_PER_MESSAGE);
    const samples = b.samples;
    const before = samples.length;
    const result = decodeMessage(m.subject, m.data, b.nowMs, this.limits, samples, this.stats.decode, messageIndex);
    if (!result.ok) {
      b.rejected.push({ msg: m, reason: result.reason, detail: result.detail });
      this.stats.rejected++;
      if (replaying && seq === replaying.last) this.finishReplay();
      return;
    }
    const { registry, latest } = this.deps.analysis;
    for (let row = before; row < samples.length; row++) {
      const gpuId = registry.id(samples.cluster[row]!, samples.rack[row]!, samples.host[row]!, samples.gpu[row]!);
      b.gpuIds[row] = gpuId;
      const novelty = latest.advance(gpuId, samples.ts[row]!);
      // In-order samples are analysed as they come, so detectors and windows see event time in order; storage
      // verifies the unverified ones before they are stored. A sample not newer than a known one waits for that check.
      if (novelty !== SampleNovelty.NOT_NEWER) this.deps.analysis.analyse(samples, row, gpuId);
      else b.deferred.push(row);
      if (novelty !== SampleNovelty.NEW) b.suspects.push(row);
    }
    if (replaying && seq === replaying.last) this.finishReplay();
  }

  /**
   * Closes the batch rebuilt from the interrupted run [first, last] and queues it under that run's range (and so its
   * deduplication token), whether or not every message of the range is still in the stream.
   */
  private finishReplay(): void {
    const run = this.replaying;
    if (!run) return;
    this.replaying = undefined;
    this.highestSeen = Math.max(this.highestSeen, run.last);
    const b = this.current;
    if (b.empty) return; // the whole run aged out of the stream: nothing left to store
    b.first = run.first;
    b.last = run.last;
    b.recorded = run;
    void this.flush();
  }

  /**
   * Drops the batch's rows whose sample identity is already stored or appears earlier in the batch (an agent replaying
   * samples under new message ids), analyses the deferred ones that turn out new, and tells LatestSample what storage
   * holds, so that the GPUs' next samples take the fast path. Only rows LatestSample could not vouch for are looked up.
   */
  private async dropRepeatedSamples(b: IngestBatch): Promise<void> {
    const recorded = b.recorded;
    if (recorded?.rows === b.samples.length) {
      this.dropRecordedRepeats(b, fromRanges(recorded.repeated ?? []));
      return;
    }
    const s = b.samples;
    const { latest } = this.deps.analysis;
    // A suspect repeats a row of the batch when that row has its identity: the rows of the suspects' GPUs are looked at.
    const identity = identityKeys(b);
    const suspect = new Uint8Array(s.length);
    const suspectGpu = new Uint8Array(identity.gpuIds);
    for (const row of b.suspects) {
      suspect[row] = 1;
      suspectGpu[b.gpuIds[row]!] = 1;
    }
    const seen = new Set<number | string>();
    for (let row = 0; row < s.length; row++) if (suspect[row] === 0 && suspectGpu[b.gpuIds[row]!] === 1) seen.add(identity.of(row));
    const repeated: number[] = [];
    const unresolved: number[] = [];
    for (const row of b.suspects) {
      const key = identity.of(row);
      if (seen.has(key)) repeated.push(row);
      else {
        seen.add(key);
        unresolved.push(row);
      }
    }
    // First what storage holds of the GPUs not seeded yet: a sample newer than its GPU's newest stored one is new.
    const unseeded = unresolved.filter((row) => latest.unseeded(b.gpuIds[row]!));
    const newest = unseeded.length > 0 ? await newestStored(this.deps.store, s, unseeded) : new Map<string, number>();
    for (const row of unseeded) latest.seed(b.gpuIds[row]!, newest.get(gpuKey(s, row)) ?? -Infinity);
    // Then the exact identities of the rest: out-of-order samples, and those not newer than what is stored.
    const deferred = new Set(b.deferred);
    const toCheck = unresolved.filter((row) => deferred.has(row) || s.ts[row]! <= latest.storedNewest(b.gpuIds[row]!));
    const stored = toCheck.length > 0 ? await storedIdentities(this.deps.store, s, toCheck) : new Set<number>();
    for (const row of unresolved) {
      if (stored.has(row)) repeated.push(row);
      else if (deferred.has(row)) this.deps.analysis.analyse(s, row, b.gpuIds[row]!);
    }
    repeated.sort((x, y) => x - y);
    this.removeRepeated(b, repeated);
  }

  /** A rebuilt batch drops the rows its first attempt found stored, and analyses the deferred rows that were new. */
  private dropRecordedRepeats(b: IngestBatch, repeated: number[]): void {
    const drop = new Set(repeated);
    for (const row of b.deferred) if (!drop.has(row)) this.deps.analysis.analyse(b.samples, row, b.gpuIds[row]!);
    this.removeRepeated(b, repeated);
  }

  private removeRepeated(b: IngestBatch, repeated: number[]): void {
    b.repeated = repeated;
    b.removeRows(repeated);
    this.stats.duplicateSamples += repeated.length;
    if (repeated.length > 0) this.deps.log.info({ first: b.first, last: b.last, dropped: repeated.length }, 'dropped samples already stored');
  }

  /**
   * Where detectors' alert events go: published with the batch being filled, so that the batch is acknowledged only
   * once they are in the alert stream. Wired as Detection's emit.
   */
  publishAlert(e: AlertEvent): void {
    const b = this.current;
    const subject = alertSubject(e.labels.cluster ?? 'unknown', e.labels.rack ?? 'unknown');
    // The same episode and state always gets the same id, so a replay after a crash is dropped by JetStream.
    const msgID = `${e.labels.alertname}:${fingerprint(e.labels)}:${e.status}:${e.startsAt}`;
    this.stats.alertsEmitted++;
    this.deps.log.info({ alert: e.labels, status: e.status, startsAt: e.startsAt }, 'alert event');
    const published = this.deps.js.publish(subject, JSON.stringify(e), { msgID });
    b.alertPublishes.push(published);
    this.journaling = this.journaling
      .then(() => published)
      .then(() => this.retrying('episode journal', () => this.deps.episodes.write(e)))
      .catch((err: unknown) => this.deps.log.error({ err: String(err), alert: e.labels }, 'alert not recorded in the episode journal'));
  }

  private onTick(): void {
    const now = Date.now();
    const b = this.current;
    if (this.replaying) {
      // The rest of the interrupted run never came (aged out of the stream): store what there is under its range.
      if (now - this.lastMessageWall > REPLAY_QUIET_MS) this.finishReplay();
    } else if (!b.empty && (now - b.openedAt >= this.deps.config.aggregator.flush_ms || now - this.lastMessageWall >= QUIET_FLUSH_MS)) {
      void this.flush();
    }
    this.deps.analysis.tick(now, {
      // A partition waiting for its own writes is not quiet: the messages it has not read yet are not late.
      followWallClock: !this.backpressure,
      // Reclaim GPUs that left, but never while rows awaiting their identity check hold GPU ids: a fast replay can
      // pass a whole horizon of event time within one batch, and a reused id would give such a row another GPU's state.
      mayReclaim: b.suspects.length === 0 && this.checking === 0,
    });
    if (now - this.lastMessageWall > STALLED_PULL_MS && now >= this.nextStallCheck && !this.checkingStall && !this.stopping) void this.checkStalledPull();
  }

  /** Swaps in an empty batch and queues the full one for writing; waits only when both buffers are busy. */
  async flush(): Promise<void> {
    while (this.free.length === 0) await this.writing;
    const b = this.current;
    if (b.empty) return;
    this.current = this.free.pop()!;
    this.writing = this.writing
      .then(() => this.write(b))
      .catch((err: unknown) => {
        if (err instanceof FencedError) {
          this.stopping = true;
          this.deps.onFenced();
        } else this.deps.log.error({ err, first: b.first, last: b.last }, 'batch left pending for the next start');
      })
      .finally(() => {
        b.clear();
        this.free.push(b);
      });
  }

  /** Makes a batch durable (retrying until it is), then acknowledges its messages. */
  private async write(b: IngestBatch): Promise<void> {
    const started = Date.now();
    const { checkpoint, store, log } = this.deps;
    const token = `${this.tokenPrefix}:${b.first}-${b.last}`;
    // The identity check comes before the intent, which records its verdict: a rebuilt batch must be the same rows.
    b.decodedRows = b.samples.length;
    if (b.suspects.length > 0 || b.recorded !== undefined) {
      this.checking++;
      try {
        await this.retrying('sample identity check', () => this.dropRepeatedSamples(b));
      } finally {
        this.checking--;
      }
    }
    const pending: PendingBatch = { first: b.first, last: b.last, nowMs: b.nowMs, rows: b.decodedRows };
    if (b.repeated.length > 0) pending.repeated = toRanges(b.repeated);
    await this.retrying('checkpoint', () => checkpoint.write({ stored: this.stored, pending }));
    failpoint('after-intent');
    if (b.samples.length > 0) await this.retrying('insert samples', () => store.insertSamples(b.samples, `samples:${token}`));
    failpoint('after-insert');
    if (b.rejected.length > 0) await this.retrying('dead letters', () => this.deadLetter(b, token));
    await this.retrying('alert events', () => Promise.all(b.alertPublishes));
    await this.retrying('checkpoint', () => checkpoint.write({ stored: b.last }));
    failpoint('after-checkpoint');
    this.stored = b.last;
    // One acknowledgement covers the batch: the partition's consumer acknowledges all (AckPolicy.All, safe because
    // only the partition's owner pulls from it) and batches are made durable in stream order.
    if (!ackLost()) b.lastMessage?.ack();
    failpoint('after-ack');
    this.stats.samplesStored += b.samples.length;
    this.stats.batches++;
    this.stats.lastFlushMs = Date.now() - started;
    log.debug({ first: b.first, last: b.last, rows: b.samples.length, ms: this.stats.lastFlushMs }, 'batch stored');
  }

  private async deadLetter(b: IngestBatch, token: string): Promise<void> {
    const { js, store } = this.deps;
    const acks = await Promise.all(
      b.rejected.map((r) => {
        const h = natsHeaders();
        h.set('Kiln-Reason', r.reason);
        h.set('Kiln-Detail', r.detail.slice(0, 1000).replace(/[\r\n]/g, ' '));
        h.set('Kiln-Original-Subject', r.msg.subject);
        h.set('Kiln-Stream-Seq', String(r.msg.seq));
        return js.publish(dlqSubject(r.reason), r.msg.data, { msgID: `dlq:${GPU_STREAM}:${r.msg.seq}`, headers: h });
      }),
    );
    await store.insertDeadLetters(
      b.rejected.map((r, i) => ({
        receivedAt: b.nowMs,
        subject: r.msg.subject,
        reason: r.reason,
        detail: r.detail,
        body: r.msg.data,
        // Where the original bytes are kept: its sequence in the dead-letter stream.
        streamSeq: acks[i]!.seq,
      })),
      `dead_letters:${token}`,
    );
  }

  /** Storage or NATS trouble stalls the partition (JetStream keeps the backlog) but never loses or skips a batch. */
  private async retrying(what: string, op: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await op();
        return;
      } catch (err) {
        if (err instanceof FencedError) throw err;
        this.stats.insertRetries++;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.deps.log.error({ err, attempt, retryInMs: delay }, `${what} failed; retrying`);
        if (this.stopping && attempt >= 3) throw err;
        await sleep(delay);
      }
    }
  }
}

/**
 * Keys naming the sample identities (GPU id and ts) of a batch's rows: one number per identity, `(ts - earliest) ×
 * GPU ids + id`, which doubles hold exactly unless the batch spans centuries of GPU-milliseconds; text then.
 */
function identityKeys(b: IngestBatch): { gpuIds: number; of: (row: number) => number | string } {
  const s = b.samples;
  let earliest = Infinity;
  let latest = -Infinity;
  let gpuIds = 0;
  for (let row = 0; row < s.length; row++) {
    earliest = Math.min(earliest, s.ts[row]!);
    latest = Math.max(latest, s.ts[row]!);
    gpuIds = Math.max(gpuIds, b.gpuIds[row]! + 1);
  }
  if ((latest - earliest + 1) * gpuIds <= Number.MAX_SAFE_INTEGER) return { gpuIds, of: (row) => (s.ts[row]! - earliest) * gpuIds + b.gpuIds[row]! };
  return { gpuIds, of: (row) => `${b.gpuIds[row]}:${s.ts[row]}` };
}

/** Ascending row numbers as [from, to) ranges: repeats come in runs (an agent replaying a stretch of its spool). */
function toRanges(rows: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const row of rows) {
    const last = ranges.at(-1);
    if (last !== undefined && last[1] === row) last[1] = row + 1;
    else ranges.push([row, row + 1]);
  }
  return ranges;
}

function fromRanges(ranges: readonly [number, number][]): number[] {
  const rows: number[] = [];
  for (const [from, to] of ranges) for (let row = from; row < to; row++) rows.push(row);
  return rows;
}
