import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { createStore, isTransientError, type Store } from '../src/index.js';
import { recentWindowStart, sampleBatch, tempDir, type SampleRow } from '@kiln/testkit';

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;

beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

const count = async (where: string): Promise<number> => {
  const [row] = await store.query<{ n: number }>(`SELECT toUInt32(count()) AS n FROM kiln.gpu_samples WHERE ${where}`);
  return row!.n;
};

describe('insertSamples', () => {
  it('stores a batch once per token: a replay with the same token is dropped, a new token stores again', async () => {
    const batch = sampleBatch([
      { ts: recentWindowStart(), host: 'dedup', gpu: 0, values: { temp_c: 70 } },
      { ts: recentWindowStart(), host: 'dedup', gpu: 1, values: { temp_c: 71 } },
    ]);
    await store.insertSamples(batch, 'dedup:1');
    await store.insertSamples(batch, 'dedup:1');
    expect(await count("host = 'dedup'")).toBe(2);
    await store.insertSamples(batch, 'dedup:2');
    expect(await count("host = 'dedup'")).toBe(4);
    // A token with quotes and backslashes is one token, written into the statement as a literal.
    await store.insertSamples(batch, "dedup:'3'\\");
    await store.insertSamples(batch, "dedup:'3'\\");
    expect(await count("host = 'dedup'")).toBe(6);
  });

  it('keeps a token to its own insert: a later insert with another token is not deduplicated by it', async () => {
    const ts = recentWindowStart();
    await store.insertSamples(sampleBatch([{ ts, host: 'tokens', values: { temp_c: 1 } }]), 'tokens:a');
    await store.insertSamples(sampleBatch([{ ts: ts + 1000, host: 'tokens', values: { temp_c: 2 } }]), 'tokens:b');
    await store.insertRows(
      'gpu_samples',
      ['ts', 'cluster', 'rack', 'host', 'gpu'],
      [[ts + 2000, 'c', 'r', 'tokens', 0]],
      'tokens:c',
    );
    expect(await count("host = 'tokens'")).toBe(3);
  });

  it('reports an engine error as ClickHouseError with its code and name, which decide whether to retry', async () => {
    const failing = store.insertRows('gpu_samples', ['no_such_column'], [[1]], 'schema');
    await expect(failing).rejects.toBeInstanceOf(ClickHouseError);
    await expect(failing).rejects.toMatchObject({ code: '16', type: 'NO_SUCH_COLUMN_IN_TABLE' });
    expect(isTransientError(await failing.catch((e: unknown) => e))).toBe(false);
  });

  it('keeps absent apart from zero, and rounds to each column’s resolution', async () => {
    const ts = recentWindowStart();
    await store.insertSamples(
      sampleBatch([
        {
          ts,
          host: 'absent',
          values: { temp_c: 0, power_w: 1043.46, sm_active: 0.91249, energy_j: 8811200.456, xid: 0 },
        },
        { ts: ts + 1000, host: 'absent', values: { temp_c: Number.NaN, power_w: 6000 /* beyond the catalog */ } },
      ]),
      'absent',
    );
    const rows = await store.query<Record<string, unknown>>(
      "SELECT toString(temp_c) AS temp_c, toString(power_w) AS power_w, toString(sm_active) AS sm_active, toString(energy_j) AS energy_j, xid, util_pct FROM kiln.gpu_samples WHERE host = 'absent' ORDER BY ts",
    );
    expect(rows).toEqual([
      { temp_c: '0', power_w: '1043.5', sm_active: '0.912', energy_j: '8811200.46', xid: 0, util_pct: null },
      { temp_c: null, power_w: null, sm_active: null, energy_j: null, xid: null, util_pct: null },
    ]);
  });

  it('keeps each body intact until its insert is done, when inserts overlap', async () => {
    const ts = recentWindowStart();
    const batch = (host: string, temp: number) =>
      sampleBatch([0, 1, 2].map((gpu) => ({ ts, host, gpu, values: { temp_c: temp } })));
    await Promise.all([
      store.insertSamples(batch('overlap-a', 61), 'overlap:a'),
      store.insertSamples(batch('overlap-b', 62), 'overlap:b'),
    ]);
    const rows = await store.query<{ host: string; n: number; temp: number }>(
      "SELECT host, toUInt32(count()) AS n, toFloat64(max(temp_c)) AS temp FROM kiln.gpu_samples WHERE host LIKE 'overlap-%' GROUP BY host ORDER BY host",
    );
    expect(rows).toEqual([
      { host: 'overlap-a', n: 3, temp: 61 },
      { host: 'overlap-b', n: 3, temp: 62 },
    ]);
  });

  it('writes each insert as it comes: the engine does not pre-merge rows by the sorting key (optimize_on_insert = 0)', async () => {
    // Two partial rows of one GPU-window in one insert, as late data and replays produce them: stored as two rows,
    // which queries (and background merges) combine.
    const window = Math.floor(recentWindowStart() / 1000);
    const columns = ['ts', 'cluster', 'rack', 'host', 'gpu', 'samples'];
    await store.insertRows(
      'gpu_rollup_10s',
      columns,
      [
        [window, 'c', 'r', 'premerge', 0, 1],
        [window, 'c', 'r', 'premerge', 0, 2],
      ],
      'premerge',
    );
    const stored = async (final: string) =>
      store.query<{ rows: number; samples: number }>(
        `SELECT toUInt32(count()) AS rows, toUInt32(sum(samples)) AS samples FROM kiln.gpu_rollup_10s ${final} WHERE host = 'premerge'`,
      );
    expect(await stored('')).toEqual([{ rows: 2, samples: 3 }]);
    expect(await stored('FINAL')).toEqual([{ rows: 1, samples: 3 }]);
  });

  it('stores label strings that need JSON escaping', async () => {
    const job = 'llm "pretrain"\\17\n\u00e9\u{1F680}';
    await store.insertSamples(sampleBatch([{ ts: recentWindowStart(), host: 'escape', job }]), 'escape');
    const [row] = await store.query<{ job: string }>("SELECT job FROM kiln.gpu_samples WHERE host = 'escape'");
    expect(row!.job).toBe(job);
  });
});

/** The rollup of `table` for host `host`, and the same aggregation computed from gpu_samples. */
async function rollupVersusRaw(table: string, interval: string, host: string) {
  const fromRollup = await store.query(
    `SELECT ts, gpu, toUInt32(sum(samples)) AS samples,
            toUInt32(sum(temp_c_count)) AS temp_n, round(sum(temp_c_sum), 6) AS temp_sum,
            toString(min(temp_c_min)) AS temp_min, toString(max(temp_c_max)) AS temp_max,
            toString(min(energy_j_min)) AS energy_min, toString(max(energy_j_max)) AS energy_max,
            groupBitOr(clock_events_or) AS clocks, max(xid_max) AS xid
     FROM kiln.${table} WHERE host = {host:String} GROUP BY ts, gpu ORDER BY ts, gpu`,
    { host },
  );
  const fromRaw = await store.query(
    `SELECT toDateTime(toStartOfInterval(ts, INTERVAL ${interval})) AS ts, gpu, toUInt32(count()) AS samples,
            toUInt32(count(temp_c)) AS temp_n, round(sum(toFloat64(ifNull(temp_c, 0))), 6) AS temp_sum,
            toString(min(temp_c)) AS temp_min, toString(max(temp_c)) AS temp_max,
            toString(min(energy_j)) AS energy_min, toString(max(energy_j)) AS energy_max,
            groupBitOr(clock_events) AS clocks, max(xid) AS xid
     FROM kiln.gpu_samples WHERE host = {host:String} GROUP BY ts, gpu ORDER BY ts, gpu`,
    { host },
  );
  return { fromRollup, fromRaw };
}

describe('rollups', () => {
  const host = 'rollup-host';
  const start = recentWindowStart();
  // Two GPUs, 30 s of 1 Hz samples with gaps (absent metrics), throttle bits and an Xid.
  const rows: SampleRow[] = [];
  for (let s = 0; s < 30; s++) {
    for (const gpu of [0, 1]) {
      rows.push({
        ts: start + s * 1000 + gpu * 7,
        host,
        gpu,
        values: {
          ...(s % 4 === 3 ? {} : { temp_c: 60 + ((s * 7 + gpu * 3) % 23) + 0.5 }),
          energy_j: 1e6 + s * 950.25 + gpu,
          clock_events: s === 12 ? 0x40 : s === 27 ? 0x8 : 0,
          xid: s === 20 && gpu === 1 ? 79 : 0,
        },
      });
    }
  }

  it('equal aggregating the raw table, also after a replay and a late partial insert', async () => {
    await store.insertSamples(sampleBatch(rows.slice(0, 40)), 'rollup:1');
    await store.insertSamples(sampleBatch(rows.slice(40, 50)), 'rollup:2');
    // A replay of the first batch (deduplicated: the rollups must not count it again) ...
    await store.insertSamples(sampleBatch(rows.slice(0, 40)), 'rollup:1');
    // ... and late data for windows that already have rows: partial rows that merge.
    await store.insertSamples(sampleBatch(rows.slice(50)), 'rollup:3');
    await store.insertSamples(
      sampleBatch([{ ts: start + 2500, host, gpu: 0, values: { temp_c: 99.5, energy_j: 999_000, clock_events: 0x1 } }]),
      'rollup:late',
    );

    for (const [table, interval, windows] of [
      ['gpu_rollup_10s', '10 SECOND', 3],
      ['gpu_rollup_1m', '1 MINUTE', 1],
      ['gpu_rollup_1h', '1 HOUR', 1],
    ] as const) {
      const { fromRollup, fromRaw } = await rollupVersusRaw(table, interval, host);
      expect(fromRollup, table).toEqual(fromRaw);
      expect(fromRollup, table).toHaveLength(windows * 2);
    }
    const [total] = await store.query<{ n: number }>(
      'SELECT toUInt32(sum(samples)) AS n FROM kiln.gpu_rollup_1m WHERE host = {host:String}',
      { host },
    );
    expect(total!.n).toBe(rows.length + 1);
    // The same holds once the partial rows are merged.
    await store.command('OPTIMIZE TABLE kiln.gpu_rollup_10s FINAL');
    const merged = await rollupVersusRaw('gpu_rollup_10s', '10 SECOND', host);
    expect(merged.fromRollup).toEqual(merged.fromRaw);
  });
});

describe('dead letters and alert history', () => {
  it('round-trip, with bodies capped at 64 KiB on a character boundary', async () => {
    const receivedAt = Date.now();
    const big = 'é'.repeat(40_000); // 80,000 bytes of two-byte characters
    await store.insertDeadLetters(
      [
        {
          receivedAt,
          subject: 'kiln.v1.gpu.c.r.h',
          reason: 'invalid_json',
          detail: 'unexpected }',
          body: '{"v":1,}',
          streamSeq: 7,
        },
        {
          receivedAt,
          subject: 'kiln.v1.gpu.c.r.h',
          reason: 'oversize',
          detail: '80000 bytes',
          body: big,
          streamSeq: 8,
        },
      ],
      'dl:1',
    );
    await store.insertDeadLetters(
      [{ receivedAt, subject: 's', reason: 'oversize', detail: '', body: '', streamSeq: 8 }],
      'dl:1',
    );
    const rows = await store.query<{ reason: string; body_bytes: number; stream_seq: number; ts: string }>(
      'SELECT reason, toUInt32(length(body)) AS body_bytes, stream_seq, ts FROM kiln.dead_letters ORDER BY stream_seq',
    );
    expect(rows.map((r) => [r.reason, r.body_bytes, r.stream_seq])).toEqual([
      ['invalid_json', 8, 7],
      ['oversize', 65_536, 8],
    ]);
    expect(Date.parse(`${rows[0]!.ts}Z`)).toBe(receivedAt);
  });

  it('alert history keeps labels and annotations and splits the well-known labels into columns', async () => {
    const startsAt = Date.now() - 60_000;
    const labels = {
      alertname: 'GpuOverTemp',
      severity: 'critical',
      category: 'thermal',
      cluster: 'c1',
      rack: 'r1',
      host: 'h1',
      gpu: '3',
      uuid: 'GPU-1',
      team: 'ml',
    };
    await store.insertAlertHistory(
      [
        { at: startsAt, event: 'firing', labels, annotations: { summary: 'hot' }, fingerprint: 'f00d', startsAt },
        {
          at: startsAt + 5_000,
          event: 'notify_failed',
          labels,
          annotations: {},
          fingerprint: 'f00d',
          startsAt,
          receiver: 'pagerduty',
          outcome: 'http_503',
          detail: 'Service Unavailable',
          attempts: 3,
        },
        {
          at: startsAt + 50_000,
          event: 'resolved',
          labels: { alertname: 'RackDown', cluster: 'c1', rack: 'r1' },
          annotations: {},
          fingerprint: 'beef',
          startsAt,
          endsAt: startsAt + 50_000,
        },
      ],
      'alerts:1',
    );
    const rows = await store.query<Record<string, unknown>>(
      'SELECT event, alertname, severity, gpu, uuid, labels, annotations, receiver, outcome, attempts, toBool(ends_at IS NULL) AS open FROM kiln.alerts ORDER BY ts',
    );
    expect(rows).toEqual([
      {
        event: 'firing',
        alertname: 'GpuOverTemp',
        severity: 'critical',
        gpu: 3,
        uuid: 'GPU-1',
        labels,
        annotations: { summary: 'hot' },
        receiver: '',
        outcome: '',
        attempts: 0,
        open: true,
      },
      {
        event: 'notify_failed',
        alertname: 'GpuOverTemp',
        severity: 'critical',
        gpu: 3,
        uuid: 'GPU-1',
        labels,
        annotations: {},
        receiver: 'pagerduty',
        outcome: 'http_503',
        attempts: 3,
        open: true,
      },
      {
        event: 'resolved',
        alertname: 'RackDown',
        severity: '',
        gpu: null,
        uuid: '',
        labels: { alertname: 'RackDown', cluster: 'c1', rack: 'r1' },
        annotations: {},
        receiver: '',
        outcome: '',
        attempts: 0,
        open: false,
      },
    ]);
  });
});
