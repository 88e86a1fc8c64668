import { METRIC_COUNT, METRICS, type WireGpu, type WireMessage } from '@kiln/wire';
import { GPU_SLOTS, type GpuFrame } from './gpu-frame.js';

/**
 * Turns a GpuFrame into this host's wire-v1 message. The message and one GPU object per slot are owned by the writer
 * and rewritten in place each tick (nothing is allocated per GPU or per metric): encode the result before the next
 * call. An absent metric is written as undefined, which the encoder omits.
 */
export class MessageWriter {
  private readonly message: WireMessage;
  private readonly slots: WireGpu[];

  constructor(cluster: string, rack: string, host: string) {
    this.slots = Array.from({ length: GPU_SLOTS }, (_, gpu) => ({ gpu, uuid: '' }));
    this.message = { v: 1, cluster, rack, host, seq: 0, ts: 0, gpus: [] };
  }

  /** The message for `frame`, or undefined when it holds no GPU (the wire needs at least one). */
  write(frame: GpuFrame, seq: number, ts: number): WireMessage | undefined {
    const gpus = this.message.gpus;
    gpus.length = 0;
    for (let index = 0; index < GPU_SLOTS; index++) {
      if (frame.present[index] !== 1) continue;
      const gpu = this.slots[index]!;
      gpu.uuid = frame.uuids[index]!;
      gpu.job = frame.jobs[index];
      const base = index * METRIC_COUNT;
      for (let m = 0; m < METRIC_COUNT; m++) {
        const v = frame.values[base + m]!;
        gpu[METRICS[m]!.name] = Number.isNaN(v) ? undefined : v;
      }
      gpus.push(gpu);
    }
    if (gpus.length === 0) return undefined;
    this.message.seq = seq;
    this.message.ts = ts;
    return this.message;
  }
}
