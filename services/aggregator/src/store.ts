import type { SampleBatch } from '@kiln/wire';

/** A rejected message as the dead-letter table keeps it. */
export interface DeadLetter {
  /** When it was rejected, Unix ms. */
  receivedAt: number;
  subject: string;
  reason: string;
  detail: string;
  body: Uint8Array;
  /** Its sequence in the dead-letter stream, which keeps the original bytes and subject. */
  streamSeq: number;
}

/** What the aggregator needs from storage; @kiln/store's Store provides it. */
export interface AggregatorStore {
  insertSamples(batch: SampleBatch, token: string): Promise<void>;
  insertDeadLetters(rows: DeadLetter[], token: string): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
}

/**
 * Of the given rows of `batch`, those whose sample identity (cluster, rack, host, gpu, ts) is already in
 * kiln.gpu_samples. Identity strings are subject tokens ([A-Za-z0-9_-], checked by the decoder), so they are safe
 * to quote inline; the time bounds let the engine skip every other day's partition.
 */
export async function storedRows(store: AggregatorStore, batch: SampleBatch, rows: readonly number[]): Promise<Set<number>> {
  const found = new Set<number>();
  const chunk = 5_000;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const byKey = new Map<string, number>();
    let lo = Infinity;
    let hi = -Infinity;
    const tuples = part.map((row) => {
      const ts = batch.ts[row]!;
      lo = Math.min(lo, ts);
      hi = Math.max(hi, ts);
      const key = `${batch.cluster[row]}|${batch.rack[row]}|${batch.host[row]}|${batch.gpu[row]}|${ts}`;
      byKey.set(key, row);
      return `('${batch.cluster[row]}','${batch.rack[row]}','${batch.host[row]}',${batch.gpu[row]},${ts})`;
    });
    const rowsFound = await store.query<{ k: string }>(
      `SELECT concat(cluster, '|', rack, '|', host, '|', toString(gpu), '|', toString(toUnixTimestamp64Milli(ts))) AS k
       FROM kiln.gpu_samples
       WHERE ts BETWEEN fromUnixTimestamp64Milli(${lo}) AND fromUnixTimestamp64Milli(${hi})
         AND (cluster, rack, host, gpu, toUnixTimestamp64Milli(ts)) IN (${tuples.join(',')})`,
    );
    for (const { k } of rowsFound) {
      const row = byKey.get(k);
      if (row !== undefined) found.add(row);
    }
  }
  return found;
}
