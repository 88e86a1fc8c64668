import { METRIC_COUNT, METRIC_NAMES } from './catalog.js';
import type { WireMessage } from './message.js';

/**
 * A reusable columnar buffer of decoded GPU-samples (one row per GPU per message). Allocated once and refilled:
 * decoding writes numbers into typed arrays, absent metrics as NaN, and string columns hold references to strings the
 * decoder already has (mostly the same string objects message after message, see decodeMessage).
 */
export class SampleBatch {
  length = 0;
  readonly ts: Float64Array;
  /**
   * The event time each row is analysed at: its `ts`, held to the wall clock at its arrival by the partition's event
   * clock (@kiln/window's EventClock), which writes it just before the detectors read it. Storage keeps `ts`.
   * A column rather than an argument: a time passed to every detector would be boxed on each call.
   */
  readonly eventTs: Float64Array;
  readonly gpu: Uint8Array;
  /** Row-major metric values: values[row * METRIC_COUNT + metricId]; NaN = absent. */
  readonly values: Float64Array;
  /** Index of the source message of each row, as numbered by the caller (see decodeMessage). */
  readonly message: Uint32Array;
  readonly cluster: string[];
  readonly rack: string[];
  readonly host: string[];
  readonly uuid: string[];
  /** Scheduler job id; '' when the sample carries none. */
  readonly job: string[];

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.eventTs = new Float64Array(capacity);
    this.gpu = new Uint8Array(capacity);
    this.values = new Float64Array(capacity * METRIC_COUNT);
    this.message = new Uint32Array(capacity);
    this.cluster = new Array<string>(capacity).fill('');
    this.rack = new Array<string>(capacity).fill('');
    this.host = new Array<string>(capacity).fill('');
    this.uuid = new Array<string>(capacity).fill('');
    this.job = new Array<string>(capacity).fill('');
  }

  get free(): number {
    return this.capacity - this.length;
  }

  clear(): void {
    this.length = 0;
  }

  value(row: number, metricId: number): number {
    return this.values[row * METRIC_COUNT + metricId]!;
  }

  /**
   * Appends the rows the decoder would write for `message`, taken as valid (no checks): for simulations and benches
   * that feed the aggregation path without the JSON round trip. Returns the first appended row.
   */
  appendMessage(message: WireMessage): number {
    const first = this.length;
    for (const g of message.gpus) {
      const row = this.length++;
      const o = row * METRIC_COUNT;
      for (let m = 0; m < METRIC_COUNT; m++) this.values[o + m] = g[METRIC_NAMES[m]!] ?? NaN;
      this.ts[row] = message.ts;
      this.eventTs[row] = message.ts;
      this.gpu[row] = g.gpu;
      this.cluster[row] = message.cluster;
      this.rack[row] = message.rack;
      this.host[row] = message.host;
      this.uuid[row] = g.uuid;
      this.job[row] = g.job ?? '';
    }
    return first;
  }
}
