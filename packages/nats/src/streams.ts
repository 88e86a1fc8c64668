import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { GPU_SUBJECTS, DLQ_SUBJECTS, EVENT_SUBJECTS, MAX_EVENT_BODY_BYTES } from '@kiln/wire';
import { isStreamNameInUse, isStreamNotFound } from './nats-errors.js';
import { retryTransient } from './transient.js';

/** Streams Kiln owns. Names are part of the operator interface (nats stream info KILN_GPU). */
export const GPU_STREAM = 'KILN_GPU';
export const DLQ_STREAM = 'KILN_DLQ';
export const ALERT_STREAM = 'KILN_ALERTS';
/**
 * Events (Xids from the kernel log), kiln.v1.event.<cluster>.<rack>.<host>. Not partitioned by the servers: events are
 * rare, so every aggregator partition reads the whole stream through its own durable consumer and keeps its racks'
 * events (nats-server 2.9 has neither multi-filter consumers nor subject transforms on streams, and a second subject
 * mapping would be one more thing every server's configuration must agree on).
 */
export const EVENT_STREAM = 'KILN_EVENTS';

/** Alert events from detectors to the alerter: kiln.v1.alert.<cluster>.<rack>. */
export const ALERT_SUBJECT_PREFIX = 'kiln.v1.alert';
export const ALERT_SUBJECTS = `${ALERT_SUBJECT_PREFIX}.>`;
export function alertSubject(cluster: string, rack: string): string {
  return `${ALERT_SUBJECT_PREFIX}.${cluster}.${rack}`;
}

const HOUR_MS = 3_600_000;

export interface StreamOptions {
  replicas: number;
  /** How long raw messages stay in the GPU stream: the horizon for replays and crash recovery. */
  gpuMaxAgeMs?: number;
  gpuMaxBytes?: number;
}

/** The stream options a `nats` config section asks for: every process that creates the streams passes the same. */
export function streamOptions(section: {
  replicas: number;
  gpu_retention_ms: number;
  gpu_max_bytes?: number | undefined;
}): StreamOptions {
  return {
    replicas: section.replicas,
    gpuMaxAgeMs: section.gpu_retention_ms,
    ...(section.gpu_max_bytes !== undefined ? { gpuMaxBytes: section.gpu_max_bytes } : {}),
  };
}

/** The stream definitions, kept to fields nats-server 2.9 understands. */
export type KilnStreamConfig = Partial<StreamConfig> & { name: string };

export function streamConfigs(opts: StreamOptions): KilnStreamConfig[] {
  return [
    {
      name: GPU_STREAM,
      subjects: [GPU_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(opts.gpuMaxAgeMs ?? 24 * HOUR_MS),
      max_bytes: opts.gpuMaxBytes ?? -1,
      // Covers an agent's retry span: a re-sent message with the same Nats-Msg-Id is dropped by the server.
      duplicate_window: nanos(10 * 60_000),
      max_msg_size: 64 * 1024 + 4096,
      num_replicas: opts.replicas,
    },
    {
      name: DLQ_STREAM,
      subjects: [DLQ_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(30 * 24 * HOUR_MS),
      duplicate_window: nanos(10 * 60_000),
      num_replicas: opts.replicas,
    },
    {
      name: EVENT_STREAM,
      subjects: [EVENT_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      // As long as the GPU stream: the same horizon for an aggregator that was away.
      max_age: nanos(opts.gpuMaxAgeMs ?? 24 * HOUR_MS),
      // Covers an agent's retry span: a re-sent event with the same Nats-Msg-Id is dropped by the server.
      duplicate_window: nanos(10 * 60_000),
      // Room beyond the contract's body limit, so an oversize event reaches the aggregator and is dead-lettered.
      max_msg_size: 4 * MAX_EVENT_BODY_BYTES,
      num_replicas: opts.replicas,
    },
    {
      name: ALERT_STREAM,
      subjects: [ALERT_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(7 * 24 * HOUR_MS),
      duplicate_window: nanos(10 * 60_000),
      num_replicas: opts.replicas,
    },
  ];
}

/**
 * Creates Kiln's streams, or updates them in place when they exist (idempotent; safe from several processes), waiting
 * for a cluster that is still electing its leaders.
 */
export async function ensureStreams(jsm: JetStreamManager, opts: StreamOptions): Promise<void> {
  for (const config of streamConfigs(opts))
    await retryTransient(`stream ${config.name}`, () => ensureStream(jsm, config));
}

async function ensureStream(jsm: JetStreamManager, config: KilnStreamConfig): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another process created it between our info() and add(): fine.
      if (!isStreamNameInUse(addErr)) throw addErr;
    }
  }
}
