import type { MetricName } from './catalog.js';

/** One GPU inside a wire-v1 message. Every metric is optional: absent = not read. */
export type WireGpu = { gpu: number; uuid: string; job?: string } & { [K in MetricName]?: number };

/** The wire-v1 message: one per host per sample tick. */
export interface WireMessage {
  v: 1;
  cluster: string;
  rack: string;
  host: string;
  seq: number;
  /** Unix milliseconds, event time. */
  ts: number;
  gpus: WireGpu[];
}

export const WIRE_VERSION = 1;
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_GPUS_PER_MESSAGE = 8;
/** Highest per-host GPU index (a GB300 compute tray has 4 GPUs; 8-GPU hosts use 0..7). */
export const MAX_GPU_INDEX = 7;
/** A GPU or MIG instance UUID as NVML reports it (GPU-…, MIG-…, or the older MIG-GPU-…/gi/ci form). */
export const UUID_PATTERN = /^(?:GPU|MIG)-[A-Za-z0-9/-]+$/;
export const UUID_MIN_LENGTH = 8;
export const UUID_MAX_LENGTH = 80;
export const MAX_JOB_LENGTH = 128;

/**
 * Why a whole message is rejected. Each reason is also the last token of its dead-letter subject
 * (kiln.v1.dlq.<reason>), so the set is closed and stable.
 */
export const REJECT_REASONS = [
  'invalid_json', // not UTF-8 JSON, or not an object
  'wrong_version', // v is not 1
  'missing_field', // a required field is absent
  'bad_field', // a required field has the wrong type or shape
  'subject_mismatch', // cluster/rack/host differ from the subject, or the subject is not a GPU subject
  'future_ts', // ts beyond now + the allowed skew
  'expired_ts', // ts older than the raw retention
  'oversize', // body larger than 64 KiB
  'duplicate_gpu', // two entries with the same gpu index
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Dense id of each reject reason (its position in REJECT_REASONS), for counters kept in typed arrays. */
export const REJECT_REASON_ID: Readonly<Record<RejectReason, number>> = Object.fromEntries(
  REJECT_REASONS.map((r, i) => [r, i]),
) as Record<RejectReason, number>;
