import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { waitUntil } from '@kiln/testkit';
import type { KilnProcess } from './kiln-process.js';

/**
 * Writes the Kiln configuration of a crash suite into `dir` and returns its path: state under `dir`, the engine served
 * (by `kiln store`) on `port` with writer credentials, and small batches so that a crash lands between many of them.
 */
export async function writeCrashTestConfig(dir: string, natsUrl: string, port: number): Promise<string> {
  const file = join(dir, 'kiln.yaml');
  await writeFile(
    file,
    JSON.stringify({
      data_dir: join(dir, 'state'),
      nats: { url: natsUrl },
      clickhouse: { listen: `127.0.0.1:${port}`, user: 'writer', password: 'writer-secret' },
      aggregator: { batch_rows: 2_000, flush_ms: 50 },
    }),
  );
  return file;
}

/**
 * Starts `kiln aggregator` once per point of a batch's life (its failpoints: after the intent is recorded, after the
 * insert, after the checkpoint, after the acks, each at its n-th pass) and waits for each to SIGKILL itself there.
 */
export async function crashAtEveryBatchPoint(aggregator: (failpoints: string) => KilnProcess): Promise<void> {
  for (const point of ['after-intent=2', 'after-insert=3', 'after-checkpoint=2', 'after-ack=3']) {
    const p = aggregator(point);
    await waitUntil(`aggregator to die at ${point}`, () => !p.alive(), 60_000);
    expect(p.child.signalCode, `${point}\n${p.output()}`).toBe('SIGKILL');
  }
}

/** What the raw table holds: rows, distinct sample identities, and the temperature readings the rollups must sum. */
export interface RawCounts {
  n: number;
  ids: number;
  temps: number;
  tempSum: number;
}

export async function rawCounts(ch: ClickHouseClient): Promise<RawCounts> {
  const [raw] = await (
    await ch.query({
      query:
        'SELECT count() AS n, uniqExact(cluster, rack, host, gpu, ts) AS ids, count(temp_c) AS temps, sum(temp_c) AS temp_sum FROM kiln.gpu_samples',
      format: 'JSONEachRow',
    })
  ).json<{ n: string; ids: string; temps: string; temp_sum: number }>();
  return { n: Number(raw!.n), ids: Number(raw!.ids), temps: Number(raw!.temps), tempSum: raw!.temp_sum };
}

/** Each rollup's temperature count and sum, to compare with the raw table's. */
export async function rollupTemperatures(
  ch: ClickHouseClient,
  table: 'gpu_rollup_10s' | 'gpu_rollup_1m',
): Promise<{ n: number; sum: number }> {
  const [r] = await (
    await ch.query({
      query: `SELECT sum(temp_c_count) AS n, sum(temp_c_sum) AS s FROM kiln.${table}`,
      format: 'JSONEachRow',
    })
  ).json<{
    n: string;
    s: number;
  }>();
  return { n: Number(r!.n), sum: r!.s };
}

/** 10 s windows whose maximum temperature differs between the raw table and gpu_rollup_10s (0 when exact). */
export async function rollupMismatches(ch: ClickHouseClient): Promise<number> {
  const [w] = await (
    await ch.query({
      query: `SELECT count() AS mismatches FROM (
                SELECT host, gpu, toStartOfInterval(ts, INTERVAL 10 SECOND) AS w, max(temp_c) AS raw_max
                FROM kiln.gpu_samples GROUP BY host, gpu, w) AS raw
              FULL OUTER JOIN (
                SELECT host, gpu, ts AS w, max(temp_c_max) AS roll_max FROM kiln.gpu_rollup_10s GROUP BY host, gpu, w) AS roll
              USING (host, gpu, w) WHERE raw_max != roll_max`,
      format: 'JSONEachRow',
    })
  ).json<{ mismatches: string }>();
  return Number(w!.mismatches);
}
