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

export function gpuKey(batch: SampleBatch, row: number): string {
  return `${batch.cluster[row]}|${batch.rack[row]}|${batch.host[row]}|${batch.gpu[row]}`;
}

// Identity strings are subject tokens ([A-Za-z0-9_-], checked by the decoder), so they are safe to quote inline.
const gpuTuple = (b: SampleBatch, row: number): string => `('${b.cluster[row]}','${b.rack[row]}','${b.host[row]}',${b.gpu[row]})`;
const CHUNK = 5_000;

/**
 * The newest stored ts of the GPUs of the given rows, from the rows' earliest ts on (the time bound lets the engine
 * read only the recent part of those GPUs' data), by gpuKey. A GPU with nothing stored since then is absent.
 */
export async function newestStored(store: AggregatorStore, batch: SampleBatch, rows: readonly number[]): Promise<Map<string, number>> {
  const newest = new Map<string, number>();
  const gpus = new Map<string, string>();
  let lo = Infinity;
  for (const row of rows) {
    lo = Math.min(lo, batch.ts[row]!);
    gpus.set(gpuKey(batch, row), gpuTuple(batch, row));
  }
  const tuples = [...gpus.values()];
  for (let i = 0; i < tuples.length; i += CHUNK) {
    const found = await store.query<{ k: string; newest: number | string }>(
      `SELECT concat(cluster, '|', rack, '|', host, '|', toString(gpu)) AS k, toUnixTimestamp64Milli(max(ts)) AS newest
       FROM kiln.gpu_samples
       WHERE ts >= fromUnixTimestamp64Milli(${lo}) AND (cluster, rack, host, gpu) IN (${tuples.slice(i, i + CHUNK).join(',')})
       GROUP BY cluster, rack, host, gpu`,
    );
    for (const { k, newest: ts } of found) newest.set(k, Number(ts));
  }
  return newest;
}

/** Of the given rows of `batch`, those whose sample identity (cluster, rack, host, gpu, ts) is in kiln.gpu_samples. */
export async function storedIdentities(store: AggregatorStore, batch: SampleBatch, rows: readonly number[]): Promise<Set<number>> {
  const found = new Set<number>();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    const byKey = new Map<string, number>();
    let lo = Infinity;
    let hi = -Infinity;
    const tuples = part.map((row) => {
      const ts = batch.ts[row]!;
      lo = Math.min(lo, ts);
      hi = Math.max(hi, ts);
      byKey.set(`${gpuKey(batch, row)}|${ts}`, row);
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
