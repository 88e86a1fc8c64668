import { METRIC_COUNT, METRIC_ID, SampleBatch, type MetricName } from '@kiln/wire';

/** A sample as a test writes it: identity fields default to one GPU of one rack. */
export interface SampleRow {
  ts: number;
  cluster?: string;
  rack?: string;
  host?: string;
  gpu?: number;
  uuid?: string;
  job?: string;
  /** Metrics not listed are absent. */
  values?: Partial<Record<MetricName, number>>;
}

/** A SampleBatch holding `rows`, as the wire decoder would fill it (absent = NaN). */
export function sampleBatch(rows: readonly SampleRow[]): SampleBatch {
  const batch = new SampleBatch(Math.max(1, rows.length));
  rows.forEach((row, i) => {
    batch.ts[i] = row.ts;
    batch.cluster[i] = row.cluster ?? 'eus2-ai1';
    batch.rack[i] = row.rack ?? 'r0042';
    batch.host[i] = row.host ?? 'r0042-t07';
    batch.gpu[i] = row.gpu ?? 0;
    batch.uuid[i] = row.uuid ?? `GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac1200${row.gpu ?? 0}`;
    batch.job[i] = row.job ?? '';
    batch.values.fill(NaN, i * METRIC_COUNT, (i + 1) * METRIC_COUNT);
    for (const [name, value] of Object.entries(row.values ?? {})) {
      batch.values[i * METRIC_COUNT + METRIC_ID[name as MetricName]] = value;
    }
  });
  batch.length = rows.length;
  return batch;
}

/** Event time a little in the past, on a whole 10 s window (raw retention drops rows older than 14 days). */
export function recentWindowStart(): number {
  return Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
}
