import type { JsMsg } from '@nats-io/jetstream';
import { resized } from '@kiln/window';
import { METRIC_COUNT, SampleBatch } from '@kiln/wire';
import type { PendingBatch } from './checkpoint.js';
import type { RejectedMessage } from './dead-letters.js';

/**
 * One unit of storage: the decoded rows of a contiguous run of stream messages, the message whose acknowledgement
 * covers the run once it is durable, the rejects to dead-letter, and the alert events raised while decoding it. Its row arrays grow as rows
 * come (a live partition's batches stay as small as what arrives within a flush interval) and are kept for reuse.
 */
export class IngestBatch {
  samples: SampleBatch;
  /**
   * The run's newest message: acknowledging it acknowledges the run (the consumer acknowledges all). The others are
   * not kept: a batch would otherwise hold every message body it decoded until it is stored, tens of megabytes that
   * survive young-generation collections and are copied into the old generation.
   */
  lastMessage: JsMsg | undefined;
  /** Messages in the run, rejected ones included; also the decoder's message index of the next one. */
  messageCount = 0;
  readonly rejected: RejectedMessage[] = [];
  readonly alertPublishes: Promise<unknown>[] = [];
  /** Dense GPU id of each row. */
  gpuIds: Int32Array;
  /** Rows that may repeat a stored sample identity (see LatestSample); resolved before the batch is stored. */
  readonly suspects: number[] = [];
  /** Suspects not analysed yet (not newer than a known sample): analysed once storage shows they are new. */
  readonly deferred: number[] = [];
  /** Rows as decoded, before the identity check removed any. */
  decodedRows = 0;
  /** Rows the identity check found stored already (as decoded, ascending); taken from the intent when rebuilt. */
  repeated: number[] = [];
  /** The verdict of the identity check recorded with the intent of the batch this one rebuilds. */
  recorded: PendingBatch | undefined;
  first = 0;
  last = 0;
  /** Clock every message of the batch is decoded with (set by the first message). */
  nowMs = 0;
  /** Wall time the first message arrived, for the flush deadline. */
  openedAt = 0;

  /** `rows` to start with; `usualRows`: what a full batch holds (a batch rebuilding an interrupted run may hold more). */
  constructor(
    rows: number,
    private readonly usualRows = rows,
  ) {
    this.samples = new SampleBatch(rows);
    this.gpuIds = new Int32Array(rows);
  }

  /**
   * Makes room for `rows` more rows, moving the rows held into arrays twice as large (at most a full batch's, unless
   * more are needed) when needed: each growth allocates and copies, so few steps.
   */
  reserve(rows: number): void {
    const s = this.samples;
    if (s.free >= rows) return;
    const needed = s.length + rows;
    const capacity = Math.max(needed, Math.min(2 * s.capacity, this.usualRows));
    const grown = new SampleBatch(capacity);
    const n = (grown.length = s.length);
    grown.ts.set(s.ts.subarray(0, n));
    grown.gpu.set(s.gpu.subarray(0, n));
    grown.message.set(s.message.subarray(0, n));
    grown.values.set(s.values.subarray(0, n * METRIC_COUNT));
    for (let row = 0; row < n; row++) {
      grown.cluster[row] = s.cluster[row]!;
      grown.rack[row] = s.rack[row]!;
      grown.host[row] = s.host[row]!;
      grown.uuid[row] = s.uuid[row]!;
      grown.job[row] = s.job[row]!;
    }
    this.samples = grown;
    this.gpuIds = resized(this.gpuIds, capacity, 0);
  }

  /** Removes the given rows (ascending), keeping the order of the others. */
  removeRows(rows: readonly number[]): void {
    if (rows.length === 0) return;
    const s = this.samples;
    const width = METRIC_COUNT;
    let write = 0;
    let next = 0;
    for (let read = 0; read < s.length; read++) {
      if (next < rows.length && rows[next] === read) {
        next++;
        continue;
      }
      if (write !== read) {
        s.ts[write] = s.ts[read]!;
        s.gpu[write] = s.gpu[read]!;
        s.message[write] = s.message[read]!;
        s.cluster[write] = s.cluster[read]!;
        s.rack[write] = s.rack[read]!;
        s.host[write] = s.host[read]!;
        s.uuid[write] = s.uuid[read]!;
        s.job[write] = s.job[read]!;
        this.gpuIds[write] = this.gpuIds[read]!;
        s.values.copyWithin(write * width, read * width, (read + 1) * width);
      }
      write++;
    }
    s.length = write;
  }

  get empty(): boolean {
    return this.messageCount === 0;
  }

  clear(): void {
    this.samples.clear();
    this.lastMessage = undefined;
    this.messageCount = 0;
    this.rejected.length = 0;
    this.alertPublishes.length = 0;
    this.suspects.length = 0;
    this.deferred.length = 0;
    this.decodedRows = 0;
    this.repeated = [];
    this.recorded = undefined;
    this.first = this.last = this.nowMs = this.openedAt = 0;
  }
}
