import {
  MAX_GPU_INDEX,
  METRIC_COUNT,
  UUID_MAX_LENGTH,
  UUID_MIN_LENGTH,
  UUID_PATTERN,
  type MessageWriter,
  type WireMessage,
} from '@kiln/wire';

/** GPU slots per host: the wire's GPU indexes 0..7. */
export const GPU_SLOTS = MAX_GPU_INDEX + 1;

/**
 * One tick's readings of a host's GPUs, columnar and keyed by GPU index: `values[index * METRIC_COUNT + metric id]`,
 * NaN where a metric was not read. Collectors write into it; the message writer reads it. Reused tick after tick.
 */
export class GpuFrame {
  readonly values = new Float64Array(GPU_SLOTS * METRIC_COUNT).fill(NaN);
  /** 1 where the GPU was read this tick. */
  readonly present = new Uint8Array(GPU_SLOTS);
  readonly uuids: string[] = new Array<string>(GPU_SLOTS).fill('');
  /** Scheduler job per GPU, where the source knows it. */
  readonly jobs: (string | undefined)[] = new Array<string | undefined>(GPU_SLOTS).fill(undefined);

  clear(): void {
    this.values.fill(NaN);
    this.present.fill(0);
    this.jobs.fill(undefined);
  }

  /** Marks GPU `index` read, with its uuid, and clears its metrics; returns the offset of its first metric. */
  begin(index: number, uuid: string): number {
    const base = index * METRIC_COUNT;
    this.values.fill(NaN, base, base + METRIC_COUNT);
    this.present[index] = 1;
    this.uuids[index] = uuid;
    this.jobs[index] = undefined;
    return base;
  }

  /** This tick's wire message, built by `writer` (valid until its next use); undefined when no GPU was read. */
  toMessage(writer: MessageWriter, seq: number, ts: number): WireMessage | undefined {
    writer.begin(seq, ts);
    for (let index = 0; index < GPU_SLOTS; index++) {
      if (this.present[index] === 1)
        writer.add(index, this.uuids[index]!, this.jobs[index], this.values, index * METRIC_COUNT);
    }
    return writer.finish();
  }

  get presentCount(): number {
    let n = 0;
    for (let i = 0; i < GPU_SLOTS; i++) n += this.present[i]!;
    return n;
  }
}

/** A GPU index the wire accepts (0..7). */
export function isGpuIndex(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < GPU_SLOTS;
}

/** A GPU or MIG uuid the wire accepts. */
export function isGpuUuid(s: string): boolean {
  return s.length >= UUID_MIN_LENGTH && s.length <= UUID_MAX_LENGTH && UUID_PATTERN.test(s);
}
