import {
  DEFAULT_DECODE_LIMITS,
  DecodeStats,
  METRICS,
  SampleBatch,
  decodeMessage,
  gpuSubject,
  type DecodeLimits,
  type DecodeResult,
  type WireGpu,
  type WireMessage,
} from '../src/index.js';

export const NOW = 1_764_151_200_000;
export const SUBJECT = gpuSubject('eus2-ai1', 'r0042', 'r0042-t07');

/** The example message of docs/wire.md, with its four-GPU tray. */
export function exampleMessage(gpuCount = 4): WireMessage {
  return {
    v: 1,
    cluster: 'eus2-ai1',
    rack: 'r0042',
    host: 'r0042-t07',
    seq: 184467,
    ts: NOW,
    gpus: Array.from({ length: gpuCount }, (_, i) => exampleGpu(i)),
  };
}

export function exampleGpu(gpu: number): WireGpu {
  return {
    gpu,
    uuid: `GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac12000${gpu}`,
    job: 'llm-pretrain-17',
    temp_c: 71,
    mem_temp_c: 78,
    slowdown_temp_c: 87,
    mem_max_temp_c: 95,
    power_w: 1043.5,
    power_limit_w: 1400,
    energy_j: 8811200.4,
    util_pct: 98,
    mem_util_pct: 41,
    sm_active: 0.91,
    tensor_active: 0.66,
    dram_active: 0.52,
    sm_clock_mhz: 1965,
    mem_clock_mhz: 3996,
    fb_used_mib: 172311,
    fb_free_mib: 11857,
    clock_events: 0,
    xid: 0,
    ecc_sbe_vol: 0,
    ecc_dbe_vol: 0,
    remapped_rows_unc: 0,
    row_remap_failure: 0,
    pcie_replay: 0,
    nvlink_bytes: 91827364500,
  };
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A decoder with its own batch and stats, as one consumer of a partition holds them. */
export class Decoder {
  readonly batch = new SampleBatch(64);
  readonly stats = new DecodeStats();
  private messages = 0;

  constructor(readonly limits: DecodeLimits = DEFAULT_DECODE_LIMITS) {}

  decode(body: unknown, subject = SUBJECT, nowMs = NOW): DecodeResult {
    const bytes = body instanceof Uint8Array ? body : utf8(typeof body === 'string' ? body : JSON.stringify(body));
    return decodeMessage(subject, bytes, nowMs, this.limits, this.batch, this.stats, this.messages++);
  }
}

/** Rebuilds the wire message of rows [start, end) of a batch; `seq` is not stored in a batch, so it is passed in. */
export function messageFromRows(batch: SampleBatch, start: number, end: number, seq: number): WireMessage {
  const gpus: WireGpu[] = [];
  for (let row = start; row < end; row++) {
    const gpu: WireGpu = { gpu: batch.gpu[row]!, uuid: batch.uuid[row]! };
    if (batch.job[row] !== '') gpu.job = batch.job[row]!;
    METRICS.forEach((m, id) => {
      const value = batch.value(row, id);
      if (!Number.isNaN(value)) gpu[m.name] = value;
    });
    gpus.push(gpu);
  }
  return {
    v: 1,
    cluster: batch.cluster[start]!,
    rack: batch.rack[start]!,
    host: batch.host[start]!,
    seq,
    ts: batch.ts[start]!,
    gpus,
  };
}

/** mulberry32: a small seeded PRNG, so that generated cases are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
