import type { JetStreamClient } from '@nats-io/jetstream';
import { Bucket } from '@nats-io/kv';
import type { StateStore } from '@kiln/alerts';
import { ConcurrencyLimit } from '@kiln/flow';
import { openCoordinationBucket } from '@kiln/nats';

/** Deletion markers older than this are purged from the bucket's stream by maintenance. */
const DELETE_MARKER_AGE_MS = 30 * 60_000;
/** Keys read in parallel at load; enough to hide round trips, few enough not to flood the connection. */
const LOAD_CONCURRENCY = 256;

/**
 * A StateStore in a NATS JetStream KV bucket (one value per key, JSON). nats-server 2.9 has no per-message TTL, so a
 * deleted key leaves a marker in the bucket's stream; `compact` purges old markers, keeping the stream to the live
 * entries. Values are validated by shape where they are used.
 */
export class KvStateStore<T> implements StateStore<T> {
  private constructor(private readonly kv: Bucket) {}

  static async open<T>(js: JetStreamClient, bucket: string, replicas: number): Promise<KvStateStore<T>> {
    const kv = await openCoordinationBucket(js, bucket, { replicas });
    // The KV interface leaves out purgeDeletes, which the Bucket that implements it has.
    if (!(kv instanceof Bucket)) throw new Error(`KV bucket ${bucket}: unexpected client implementation`);
    return new KvStateStore<T>(kv);
  }

  async load(): Promise<Map<string, T>> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    const out = new Map<string, T>();
    const limit = new ConcurrencyLimit(LOAD_CONCURRENCY);
    const entries = await Promise.all(keys.map((k) => limit.run(() => this.kv.get(k))));
    for (const entry of entries) {
      if (entry && entry.operation === 'PUT' && entry.length > 0) out.set(entry.key, entry.json<T>());
    }
    return out;
  }

  async put(key: string, value: T): Promise<void> {
    await this.kv.put(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  /**
   * Purges deletion markers older than `olderThanMs` (half an hour: a watcher that fell behind by less still sees the
   * deletion); returns how many messages went.
   */
  async compact(olderThanMs = DELETE_MARKER_AGE_MS): Promise<number> {
    return (await this.kv.purgeDeletes(olderThanMs)).purged;
  }
}
