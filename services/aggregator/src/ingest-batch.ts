import type { JsMsg } from '@nats-io/jetstream';
import { METRIC_COUNT, SampleBatch, type RejectReason } from '@kiln/wire';

export interface Rejected {
  msg: JsMsg;
  reason: RejectReason;
  detail: string;
}

/**
 * One unit of storage: the decoded rows of a contiguous run of stream messages, the messages to acknowledge once it is
 * durable, the rejects to dead-letter, and the alert events raised while decoding it.
 */
export class IngestBatch {
  readonly samples: SampleBatch;
  readonly messages: JsMsg[] = [];
  readonly rejected: Rejected[] = [];
  readonly alertPublishes: Promise<unknown>[] = [];
  /** Dense GPU id of each row. */
  readonly gpuIds: Int32Array;
  /** Rows that may repeat a stored sample identity (see LatestSample); resolved before the batch is stored. */
  readonly suspects: number[] = [];
  /** Suspects not analysed yet (not newer than a known sample): analysed once storage shows they are new. */
  readonly deferred: number[] = [];
  first = 0;
  last = 0;
  /** Clock every message of the batch is decoded with (set by the first message). */
  nowMs = 0;
  /** Wall time the first message arrived, for the flush deadline. */
  openedAt = 0;

  constructor(rows: number) {
    this.samples = new SampleBatch(rows);
    this.gpuIds = new Int32Array(rows);
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
    return this.messages.length === 0;
  }

  clear(): void {
    this.samples.clear();
    this.messages.length = 0;
    this.rejected.length = 0;
    this.alertPublishes.length = 0;
    this.suspects.length = 0;
    this.deferred.length = 0;
    this.first = this.last = this.nowMs = this.openedAt = 0;
  }
}
