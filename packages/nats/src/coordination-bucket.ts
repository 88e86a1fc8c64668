import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { retryTransient } from './transient.js';

export interface CoordinationBucketOptions {
  readonly replicas: number;
  /** Keys expire this long after their last write (a lease); none when unset. */
  readonly ttlMs?: number;
  /** Per request, in ms; the client's default when unset. */
  readonly timeout?: number;
}

/**
 * Opens (or creates) a KV bucket that Kiln processes coordinate through: leases, checkpoints, the alerter's shared
 * state. One value per key, and every read answered by the bucket stream's leader. nats.js reads by direct get where
 * the server allows it, which any replica may answer: one lagging after a NATS node died answers with an older value or
 * none, and a process then misses the lease it should take, or a new leader loads its state without the latest write.
 */
export function openCoordinationBucket(
  js: JetStreamClient,
  bucket: string,
  options: CoordinationBucketOptions,
): Promise<KV> {
  return retryTransient(`KV bucket ${bucket}`, () =>
    new Kvm(js).create(bucket, {
      history: 1,
      replicas: options.replicas,
      allow_direct: false,
      ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    }),
  );
}
