import type { SampleBatch } from '@kiln/wire';

/** Runs a read query against the store; the identity reads take it so that they hold no client of their own. */
export type ReadQuery = <T>(sql: string) => Promise<T[]>;

/** The GPU of a batch row as one string. */
function gpuKey(batch: SampleBatch, row: number): string {
  return `${batch.cluster[row]}|${batch.rack[row]}|${batch.host[row]}|${batch.gpu[row]}`;
}

// Identity strings are subject tokens ([A-Za-z0-9_-], checked by the decoder), so they are safe to quote inline.
const gpuTuple = (b: SampleBatch, row: number): string =>
  `('${b.cluster[row]}','${b.rack[row]}','${b.host[row]}',${b.gpu[row]})`;
/** Tuples per query: an IN list this long stays well inside the server's default max_query_size. */
const CHUNK = 5_000;

/**
 * For each of the given rows, the newest stored ts of its GPU from the rows' earliest ts on (the time bound lets the
 * engine read only the recent part of those GPUs' data), by position in `rows`: -Infinity where nothing of that GPU is
 * stored since then.
 */
export async function newestStored(
  query: ReadQuery,
  table: string,
  batch: SampleBatch,
  rows: readonly number[],
): Promise<Float64Array> {
  const newest = new Map<string, number>();
  const gpus = new Map<string, string>();
  let lo = Infinity;
  for (const row of rows) {
    lo = Math.min(lo, batch.ts[row]!);
    gpus.set(gpuKey(batch, row), gpuTuple(batch, row));
  }
  const tuples = [...gpus.values()];
  for (let i = 0; i < tuples.length; i += CHUNK) {
    const found = await query<{ k: string; newest: number | string }>(
      `SELECT concat(cluster, '|', rack, '|', host, '|', toString(gpu)) AS k, toUnixTimestamp64Milli(max(ts)) AS newest
       FROM ${table}
       WHERE ts >= fromUnixTimestamp64Milli(${lo}) AND (cluster, rack, host, gpu) IN (${tuples.slice(i, i + CHUNK).join(',')})
       GROUP BY cluster, rack, host, gpu`,
    );
    for (const { k, newest: ts } of found) newest.set(k, Number(ts));
  }
  return Float64Array.from(rows, (row) => newest.get(gpuKey(batch, row)) ?? -Infinity);
}

/** Of the given rows of `batch`, those whose sample identity (cluster, rack, host, gpu, ts) is in `table`. */
export async function storedIdentities(
  query: ReadQuery,
  table: string,
  batch: SampleBatch,
  rows: readonly number[],
): Promise<Set<number>> {
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
    const rowsFound = await query<{ k: string }>(
      `SELECT concat(cluster, '|', rack, '|', host, '|', toString(gpu), '|', toString(toUnixTimestamp64Milli(ts))) AS k
       FROM ${table}
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
