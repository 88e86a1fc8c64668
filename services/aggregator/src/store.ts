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

/** What storage holds for some rows of a batch: which identities exist, and each GPU's newest stored ts. */
export interface StoredSamples {
  rows: Set<number>;
  /** Newest stored ts at or after the rows' earliest ts, by `cluster|rack|host|gpu`. */
  newest: Map<string, number>;
}

export function gpuKey(batch: SampleBatch, row: number): string {
  return `${batch.cluster[row]}|${batch.rack[row]}|${batch.host[row]}|${batch.gpu[row]}`;
}

/**
 * Looks the given rows of `batch` up in kiln.gpu_samples: those whose sample identity (cluster, rack, host, gpu, ts)
 * is already stored, and the newest stored ts of each of their GPUs from the rows' earliest ts on. Identity strings
 * are subject tokens ([A-Za-z0-9_-], checked by the decoder), so they are safe to quote inline; the time bounds let
 * the engine read only the recent parts of those GPUs' data.
 */
export async function lookupStored(store: AggregatorStore, batch: SampleBatch, rows: readonly number[]): Promise<StoredSamples> {
  const result: StoredSamples = { rows: new Set(), newest: new Map() };
  const chunk = 5_000;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const byKey = new Map<string, number>();
    const gpus = new Set<string>();
    let lo = Infinity;
    let hi = -Infinity;
    const tuples = part.map((row) => {
      const ts = batch.ts[row]!;
      lo = Math.min(lo, ts);
      hi = Math.max(hi, ts);
      byKey.set(`${gpuKey(batch, row)}|${ts}`, row);
      gpus.add(`('${batch.cluster[row]}','${batch.rack[row]}','${batch.host[row]}',${batch.gpu[row]})`);
      return `('${batch.cluster[row]}','${batch.rack[row]}','${batch.host[row]}',${batch.gpu[row]},${ts})`;
    });
    const found = await store.query<{ k: string }>(
      `SELECT concat(cluster, '|', rack, '|', host, '|', toString(gpu), '|', toString(toUnixTimestamp64Milli(ts))) AS k
       FROM kiln.gpu_samples
       WHERE ts BETWEEN fromUnixTimestamp64Milli(${lo}) AND fromUnixTimestamp64Milli(${hi})
         AND (cluster, rack, host, gpu, toUnixTimestamp64Milli(ts)) IN (${tuples.join(',')})`,
    );
    for (const { k } of found) {
      const row = byKey.get(k);
      if (row !== undefined) result.rows.add(row);
    }
    const newest = await store.query<{ k: string; newest: number | string }>(
      `SELECT concat(cluster, '|', rack, '|', host, '|', toString(gpu)) AS k, toUnixTimestamp64Milli(max(ts)) AS newest
       FROM kiln.gpu_samples
       WHERE ts >= fromUnixTimestamp64Milli(${lo}) AND (cluster, rack, host, gpu) IN (${[...gpus].join(',')})
       GROUP BY cluster, rack, host, gpu`,
    );
    for (const { k, newest: ts } of newest) result.newest.set(k, Math.max(Number(ts), result.newest.get(k) ?? -Infinity));
  }
  return result;
}
