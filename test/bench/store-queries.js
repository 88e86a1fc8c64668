// Storage on a day of one GB300 NVL72 rack (72 GPUs × 86,400 one-second samples ≈ 6.2 M GPU-samples), generated in
// the engine by INSERT … SELECT from numbers() in the shape of the simulator's data (training load with checkpoint
// dips, integer temperatures with sensor noise, noisy power, monotonic energy and NVLink counters, mostly-constant
// clocks and memory, jittered per-GPU timestamps), through the rollup views as an insert would go. Then, after
// OPTIMIZE FINAL: stored bytes per GPU-sample (raw) and per window (each rollup), and the latency of the dashboards'
// heaviest panels as Grafana sends them (deploy/grafana/dashboards, macros and variables expanded), best of 3 after a
// warm-up, in process.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@kiln/store';
import { expandGrafanaQuery, grafanaInterval } from '@kiln/testkit';

const GPUS = 72;
const SECONDS = 86_400;
const DASHBOARDS = new URL('../../deploy/grafana/dashboards/', import.meta.url);

/** u(k): a uniform [0, 1) draw per row and stream k; g(k): roughly normal, mean 0, sd 0.5. */
const u = (k) => `(cityHash64(number, ${k}) % 1000000) / 1000000`;
const g = (k) => `(${u(k)} + ${u(k + 100)} + ${u(k + 200)} - 1.5)`;

/** One rack's day: row `number` is GPU number % 72 at second intDiv(number, 72). */
function generateDay(startMs) {
  return `INSERT INTO kiln.gpu_samples (ts, cluster, rack, host, gpu, uuid, job, temp_c, mem_temp_c, slowdown_temp_c,
    mem_max_temp_c, power_w, power_limit_w, energy_j, util_pct, mem_util_pct, sm_active, tensor_active, dram_active,
    sm_clock_mhz, mem_clock_mhz, fb_used_mib, fb_free_mib, clock_events, xid, ecc_sbe_vol, ecc_dbe_vol,
    remapped_rows_unc, row_remap_failure, pcie_replay, nvlink_bytes)
SELECT
  fromUnixTimestamp64Milli(toInt64(${startMs} + s * 1000 + (g * 137) % 1000 + cityHash64(number, 1) % 5)),
  'eus2-ai1', 'r0001', concat('r0001-t', leftPad(toString(intDiv(g, 4) + 1), 2, '0')), g % 4,
  concat('GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac12', leftPad(toString(g), 4, '0')), concat('llm-pretrain-', toString(intDiv(g, 36))),
  round(48 + g % 7 + 14 * busy + 2 * sin(s / 600 + g) + 0.8 * ${g(2)}),
  round(54 + g % 5 + 16 * busy + 2 * sin(s / 600 + g) + 0.8 * ${g(3)}),
  87 + g % 3 - 1, 95,
  round(if(busy, 1040 + 60 * sin(s / 40) + 120 * ${g(4)}, 210 + 8 * ${g(4)}), 1),
  1400,
  round(4e6 + g * 1e5 + s * 900 + 40 * sin(s / 7), 2),
  if(busy, least(100, round(97 + 3 * ${g(5)})), round(3 * ${u(5)})),
  if(busy, round(40 + 8 * ${g(6)}), 0),
  if(busy, round(0.88 + 0.04 * ${g(7)}, 3), 0.02),
  if(busy, round(0.64 + 0.06 * ${g(8)}, 3), 0),
  if(busy, round(0.5 + 0.08 * ${g(9)}, 3), 0.01),
  if(busy, 1920 + (g * 7) % 75 + round(8 * ${g(10)}), 420),
  3996,
  if(busy, 150000 + (g * 977) % 30000, 560),
  293888 - if(busy, 150000 + (g * 977) % 30000, 560),
  if(busy, if(cityHash64(number, 11) % 100 < 2, 4, 0), 1),
  0,
  if(g % 50 = 0, intDiv(s, 20000), 0), 0, 0, 0,
  if(g % 50 = 1, intDiv(s, 5000), 0),
  toUInt64(1e12 * (1 + g) + s * 4.5e11 * if(busy, 1, 0.02) + cityHash64(number, 12) % 1000000000)
FROM (
  SELECT number, intDiv(number, ${GPUS}) AS s, number % ${GPUS} AS g,
    -- a checkpoint every 30 minutes: a minute of near-idle GPUs
    s % 1800 >= 60 AS busy
  FROM numbers(${GPUS * SECONDS})
)`;
}

/** Best of `rounds` wall-clock runs after one warm-up, in milliseconds, and the rows of the last. */
async function timed(store, sql, rounds = 3) {
  let rows = await store.query(sql);
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    rows = await store.query(sql);
    best = Math.min(best, performance.now() - started);
  }
  return { ms: best, rows: rows.length };
}

async function panelSql(file, title) {
  const dashboard = JSON.parse(await readFile(new URL(file, DASHBOARDS), 'utf8'));
  const panel = dashboard.panels.find((p) => p.title === title);
  if (!panel) throw new Error(`${file} has no panel "${title}"`);
  return panel.targets[0].rawSql;
}

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-queries-'));
  const store = await createStore({ dataDir: dir });
  try {
    await store.migrate();
    const startMs = Math.floor((Date.now() - 25 * 3_600_000) / 3_600_000) * 3_600_000;
    const endMs = startMs + SECONDS * 1000;
    const results = [];

    let started = performance.now();
    await store.command(generateDay(startMs));
    const generateS = (performance.now() - started) / 1000;
    results.push({
      name: 'generate one rack-day in the engine',
      value: generateS,
      unit: 's',
      note: `${(GPUS * SECONDS).toLocaleString('en-US')} GPU-samples by INSERT … SELECT, rollup views included`,
    });

    started = performance.now();
    for (const table of ['gpu_samples', 'gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h'])
      await store.command(`OPTIMIZE TABLE kiln.${table} FINAL`);
    const sizes = await store.query(
      "SELECT table, toUInt64(sum(rows)) AS rows, toUInt64(sum(data_compressed_bytes)) AS bytes FROM system.parts WHERE database = 'kiln' AND active GROUP BY table",
    );
    const size = Object.fromEntries(sizes.map((s) => [s.table, { rows: Number(s.rows), bytes: Number(s.bytes) }]));
    const raw = size.gpu_samples;
    results.push({
      name: 'stored bytes per GPU-sample (gpu_samples)',
      value: raw.bytes / raw.rows,
      unit: 'B',
      note: `one rack-day, after OPTIMIZE FINAL: ${(raw.bytes / 2 ** 20).toFixed(1)} MiB for ${raw.rows.toLocaleString('en-US')} rows`,
    });
    for (const [table, window] of [
      ['gpu_rollup_10s', '10 s'],
      ['gpu_rollup_1m', '1 min'],
      ['gpu_rollup_1h', '1 h'],
    ]) {
      const t = size[table];
      results.push({
        name: `stored bytes per ${window} window (${table})`,
        value: t.bytes / t.rows,
        unit: 'B',
        note: `one GPU-window per row: ${t.rows.toLocaleString('en-US')} rows, ${((t.bytes / raw.rows) * 1000).toFixed(0)} B per 1,000 GPU-samples`,
      });
    }

    const variables = {
      cluster: { current: 'eus2-ai1', options: ['eus2-ai1'] },
      rack: { current: 'r0001', options: ['r0001'] },
      host: {
        current: '$__all',
        options: Array.from({ length: 18 }, (_, t) => `r0001-t${String(t + 1).padStart(2, '0')}`),
      },
      gpu: { current: '2', options: ['0', '1', '2', '3'] },
    };
    const gpuVariables = { ...variables, host: { current: 'r0001-t05', options: ['r0001-t05'] } };
    const HOUR = 3_600_000;
    const panels = [
      // [dashboard, panel, range, interval override (ms) or undefined for Grafana's at 1000 points, variables, label]
      ['kiln-rack.json', 'GPU temperature', HOUR, undefined, variables, '72 series, 1 h (raw, 5 s buckets)'],
      [
        'kiln-rack.json',
        'GPU temperature',
        24 * HOUR,
        undefined,
        variables,
        '72 series, 24 h (gpu_rollup_1m, 1 min buckets)',
      ],
      [
        'kiln-rack.json',
        'GPU temperature',
        24 * HOUR,
        15_000,
        variables,
        '72 series, 24 h, raw at 15 s buckets (what the rollup saves)',
      ],
      [
        'kiln-rack.json',
        'GPU temperature',
        24 * HOUR,
        3_600_000,
        variables,
        '72 series, 24 h (gpu_rollup_1h, 1 h buckets)',
      ],
      [
        'kiln-rack.json',
        'Stragglers and outliers vs rack peers',
        24 * HOUR,
        undefined,
        variables,
        '24 h, 72 GPUs vs rack median',
      ],
      ['kiln-rack.json', 'GPUs throttled, by reason', 24 * HOUR, undefined, variables, '24 h'],
      ['kiln-rack.json', 'Latest sample per GPU', 24 * HOUR, undefined, variables, 'raw, last 2 min'],
      [
        'kiln-fleet.json',
        'Hottest racks',
        24 * HOUR,
        undefined,
        {
          ...variables,
          cluster: { current: '$__all', options: ['eus2-ai1'] },
          rack: { current: '$__all', options: ['r0001'] },
        },
        '24 h',
      ],
      [
        'kiln-fleet.json',
        'Utilization by rack',
        24 * HOUR,
        undefined,
        {
          ...variables,
          cluster: { current: '$__all', options: ['eus2-ai1'] },
          rack: { current: '$__all', options: ['r0001'] },
        },
        '24 h heatmap',
      ],
      ['kiln-gpu.json', 'Temperature', 24 * HOUR, undefined, gpuVariables, 'one GPU, 6 series, 24 h'],
      [
        'kiln-gpu.json',
        'Events',
        24 * HOUR,
        undefined,
        gpuVariables,
        'one GPU, raw, consecutive samples compared over 24 h',
      ],
    ];
    for (const [file, title, rangeMs, intervalMs, vars, label] of panels) {
      const toMs = endMs;
      const fromMs = toMs - rangeMs;
      const sql = expandGrafanaQuery(await panelSql(file, title), {
        fromMs,
        toMs,
        intervalMs: intervalMs ?? grafanaInterval(rangeMs, 1000),
        variables: vars,
      });
      const { ms, rows } = await timed(store, sql);
      results.push({
        name: `panel "${title}" (${file.replace('.json', '')})`,
        value: ms,
        unit: 'ms',
        note: `${label}; ${rows} rows`,
      });
    }
    return results;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
