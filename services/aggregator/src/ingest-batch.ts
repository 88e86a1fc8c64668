import type { JsMsg } from '@nats-io/jetstream';
import { SampleBatch, type RejectReason } from '@kiln/wire';

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
  first = 0;
  last = 0;
  /** Clock every message of the batch is decoded with (set by the first message). */
  nowMs = 0;
  /** Wall time the first message arrived, for the flush deadline. */
  openedAt = 0;

  constructor(rows: number) {
    this.samples = new SampleBatch(rows);
  }

  get empty(): boolean {
    return this.messages.length === 0;
  }

  clear(): void {
    this.samples.clear();
    this.messages.length = 0;
    this.rejected.length = 0;
    this.alertPublishes.length = 0;
    this.first = this.last = this.nowMs = this.openedAt = 0;
  }
}
