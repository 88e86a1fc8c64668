// Storage throughput and size: insertSamples into the embedded engine (gpu_samples with its rollup views attached,
// as in production: 10 s and 1 min from raw samples, 1 h from the minute rollup; Native bodies) at two batch sizes,
// against the same rows as JSONCompactEachRow sent through @clickhouse/client's connection hook (the embedded store's
// first insert path), the encoders alone against JSON.stringify of row arrays, and the bytes one GPU-sample takes on
// disk after OPTIMIZE FINAL, on data shaped like DCGM readings from GB300 racks (slow temperatures, noisy power,
// monotonic counters, mostly-constant clocks and memory, jittered 1 Hz timestamps). Insert throughput is given in
// wall clock and per CPU-second of the process (the engine runs in it, merges included): on a shared machine the
// second is the steadier figure; the two insert paths alternate, best of two rounds each.
//
// Then the shape a backlog drain (and live ingest) gives the store: every batch holds one sample of each of 20,016
// GPUs, so each rollup view writes as many rows as the batch has samples, and background merges fold them. There the
// store is compared with itself before migration 4 and its insert settings of then (the engine pre-merging each
// rollup part on insert, parsing on parallel threads, building column statistics on every merge) in a second
// database, passes alternating; each pass's CPU includes the merges its parts cause (the other database's merges are
// stopped meanwhile).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  createStore,
  DEFAULT_RETENTION,
  MIGRATIONS,
  NativeSampleEncoder,
  SAMPLE_COLUMNS,
  SampleEncoder,
  schemaStatements,
} from '@kiln/store';
import { METRIC_COUNT, METRIC_ID, SampleBatch } from '@kiln/wire';

const RACKS = 8;
const GPUS_PER_RACK = 72;
const GPUS = RACKS * GPUS_PER_RACK;
const SECONDS = 500; // 576 GPUs x 500 s = 288,000 GPU-samples per pass
/** [insert path, batch size]: each pass inserts the whole fleet window, an hour later than the pass before. */
const PASSES = [
  ['insertSamples', 5_000],
  ['insertSamples', 20_000],
  ['client', 20_000],
  ['insertSamples', 20_000],
  ['client', 20_000],
];
/** The drain shape: the pipeline bench's backlog (278 racks), one batch per tick, each pass DRAIN_TICKS ticks. */
const DRAIN_GPUS = 278 * GPUS_PER_RACK;
const DRAIN_TICKS = 10;
/**
 * `after`: the store as it is; `before`: a database without migration 4 (merge statistics on), inserts with the
 * settings of then. Both have the columns of migration 5, which today's encoder writes.
 */
const DRAIN_PASSES = ['before', 'after', 'before', 'after'];
const DRAIN_DATABASE = { after: 'kiln', before: 'kiln_v3' };
const SAMPLE_TABLES = ['gpu_samples', 'gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h'];
const PATH_NOTE = {
  insertSamples: 'a Native body, read by the engine from a file',
  client: 'the same rows as JSONCompactEachRow through the client connection hook',
};

function rng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Every GPU-sample of `gpus` GPUs over `seconds` seconds, time-major (as the aggregator sees them arrive); each seed
 *  draws other values (so that no two passes store the same bytes, which would compress unrealistically well).
 *  `graceBlackwell`: the samples carry what a GB300 adds (thermal margin, module power, NVLink links and errors, fabric
 *  state); otherwise those are absent, as from an H100. */
function fleetSamples(startMs, seed, gpus = GPUS, seconds = SECONDS, graceBlackwell = false) {
  const random = rng(seed);
  const gauss = () => random() + random() + random() - 1.5;
  const total = gpus * seconds;
  const batch = new SampleBatch(total);
  const gpu = Array.from({ length: gpus }, (_, g) => ({
    rack: `r${String(40 + Math.floor(g / GPUS_PER_RACK)).padStart(4, '0')}`,
    host: `r${String(40 + Math.floor(g / GPUS_PER_RACK)).padStart(4, '0')}-t${String(Math.floor((g % GPUS_PER_RACK) / 4)).padStart(2, '0')}`,
    index: g % 4,
    uuid: `GPU-${(0x3f2a9c1e + g).toString(16)}-7b4d-11ef-9a10-0242ac12${String(g).padStart(4, '0')}`,
    job: `llm-pretrain-${Math.floor(g / 144)}`,
    offsetMs: Math.floor(random() * 1000),
    temp: 62 + 10 * random(),
    energy: 4e6 + 1e6 * random(),
    nvlink: Math.floor(1e13 * random()),
    fbUsed: 150_000 + Math.floor(30_000 * random()),
    crc: 0,
  }));
  let row = 0;
  for (let s = 0; s < seconds; s++) {
    for (let g = 0; g < gpus; g++, row++) {
      const st = gpu[g];
      st.temp = Math.min(90, Math.max(45, st.temp + 0.3 * gauss()));
      const power = 1050 + 180 * gauss();
      st.energy += power;
      st.nvlink += Math.floor(4e10 * (0.5 + random()));
      batch.ts[row] = startMs + s * 1000 + st.offsetMs + Math.floor(random() * 5);
      batch.cluster[row] = 'eus2-ai1';
      batch.rack[row] = st.rack;
      batch.host[row] = st.host;
      batch.gpu[row] = st.index;
      batch.uuid[row] = st.uuid;
      batch.job[row] = st.job;
      const v = (name, value) => (batch.values[row * METRIC_COUNT + METRIC_ID[name]] = value);
      v('temp_c', Math.round(st.temp));
      v('mem_temp_c', Math.round(st.temp + 6 + gauss()));
      v('slowdown_temp_c', 87);
      v('mem_max_temp_c', 95);
      v('power_w', power);
      v('power_limit_w', 1400);
      v('energy_j', st.energy);
      v('util_pct', Math.min(100, Math.round(96 + 4 * gauss())));
      v('mem_util_pct', Math.round(40 + 10 * gauss()));
      v('sm_active', Math.min(1, 0.88 + 0.05 * gauss()));
      v('tensor_active', Math.min(1, 0.64 + 0.08 * gauss()));
      v('dram_active', Math.min(1, 0.5 + 0.1 * gauss()));
      v('sm_clock_mhz', random() < 0.02 ? 1800 : 1965);
      v('mem_clock_mhz', 3996);
      v('fb_used_mib', st.fbUsed);
      v('fb_free_mib', 184_320 - st.fbUsed);
      v('clock_events', random() < 0.01 ? 0x40 : 0);
      v('xid', 0);
      v('ecc_sbe_vol', 0);
      v('ecc_dbe_vol', 0);
      v('remapped_rows_unc', 0);
      v('row_remap_failure', 0);
      v('pcie_replay', 0);
      v('nvlink_bytes', st.nvlink);
      if (graceBlackwell) {
        v('temp_margin_c', 87 - Math.round(st.temp));
        v('module_power_w', Math.round((2 * power + 220 + 20 * gauss()) * 10) / 10);
        v('module_power_limit_w', 2900);
        v('nvlink_links_inactive', 0);
        // A healthy link retries now and then.
        if (random() < 0.001) st.crc++;
        v('nvlink_crc_errors', st.crc);
        v('nvlink_replay_errors', 0);
        v('nvlink_recovery_errors', 0);
        v('fabric_state', 3);
        v('fabric_status', 0);
        v('fabric_clique', 1 + Math.floor(g / GPUS_PER_RACK));
      }
    }
  }
  batch.length = total;
  return batch;
}

/** Rows [from, to) of `source` as their own batch (what one aggregator flush holds). */
function slice(source, from, to) {
  const batch = new SampleBatch(to - from);
  for (const key of ['cluster', 'rack', 'host', 'uuid', 'job'])
    for (let i = from; i < to; i++) batch[key][i - from] = source[key][i];
  batch.ts.set(source.ts.subarray(from, to));
  batch.gpu.set(source.gpu.subarray(from, to));
  batch.values.set(source.values.subarray(from * METRIC_COUNT, to * METRIC_COUNT));
  batch.length = to - from;
  return batch;
}

function encodeWithStringify(batch) {
  const row = new Array(7 + METRIC_COUNT);
  let body = '';
  for (let r = 0; r < batch.length; r++) {
    row[0] = batch.ts[r];
    row[1] = batch.cluster[r];
    row[2] = batch.rack[r];
    row[3] = batch.host[r];
    row[4] = batch.gpu[r];
    row[5] = batch.uuid[r];
    row[6] = batch.job[r];
    for (let m = 0; m < METRIC_COUNT; m++) {
      const value = batch.values[r * METRIC_COUNT + m];
      row[7 + m] = Number.isNaN(value) ? null : Math.round(value * 100) / 100;
    }
    body += JSON.stringify(row) + '\n';
  }
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `database` has run no merge for a second (at most a minute). */
async function mergesSettled(store, database) {
  for (let quiet = 0, waited = 0; quiet < 5 && waited < 60_000; waited += 200) {
    await sleep(200);
    const [{ n }] = await store.query(
      `SELECT toUInt32(count()) AS n FROM system.merges WHERE database = '${database}'`,
    );
    quiet = n === 0 ? quiet + 1 : 0;
  }
}

async function setMerges(store, database, on) {
  for (const table of SAMPLE_TABLES) await store.command(`SYSTEM ${on ? 'START' : 'STOP'} MERGES ${database}.${table}`);
}

/**
 * CPU per GPU-sample of drain-shaped inserts with the store's settings and with those before migration 4, passes
 * alternating, best of two each; a pass's CPU runs until its database's merges have settled.
 */
async function drainShape(store, startMs) {
  for (const sql of schemaStatements(
    { database: DRAIN_DATABASE.before },
    { retention: DEFAULT_RETENTION },
    MIGRATIONS.filter((m) => m.version !== 4),
  )) {
    await store.command(sql);
  }
  for (const table of SAMPLE_TABLES) await store.command(`TRUNCATE TABLE kiln.${table}`);
  const encoder = new NativeSampleEncoder();
  const insert = {
    after: (batch, token) => store.insertSamples(batch, token),
    // The same body and token, with the settings inserts carried then (optimize_on_insert and
    // input_format_parallel_parsing at the engine's defaults, on).
    before: (batch, token) =>
      store.engine.insertNative(`${DRAIN_DATABASE.before}.gpu_samples`, SAMPLE_COLUMNS, encoder.encode(batch), {
        insert_deduplication_token: token,
        async_insert: 0,
        deduplicate_blocks_in_dependent_materialized_views: 1,
      }),
  };
  const best = {};
  for (const [pass, variant] of DRAIN_PASSES.entries()) {
    const other = variant === 'after' ? 'before' : 'after';
    await setMerges(store, DRAIN_DATABASE[other], false);
    await setMerges(store, DRAIN_DATABASE[variant], true);
    const samples = fleetSamples(startMs + (pass + 1) * 3_600_000, 0x6472 + pass, DRAIN_GPUS, DRAIN_TICKS);
    const ticks = Array.from({ length: DRAIN_TICKS }, (_, t) => slice(samples, t * DRAIN_GPUS, (t + 1) * DRAIN_GPUS));
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const [t, batch] of ticks.entries()) await insert[variant](batch, `drain:${pass}:${t}`);
    const insertSeconds = (performance.now() - started) / 1000;
    await mergesSettled(store, DRAIN_DATABASE[variant]);
    const used = process.cpuUsage(cpu);
    const cpuUs = (used.user + used.system) / samples.length;
    const wall = samples.length / insertSeconds;
    best[variant] = {
      cpuUs: Math.min(cpuUs, best[variant]?.cpuUs ?? Infinity),
      wall: Math.max(wall, best[variant]?.wall ?? 0),
    };
  }
  await setMerges(store, DRAIN_DATABASE.before, true);
  const note = `${DRAIN_GPUS.toLocaleString('en-US')} GPUs, one tick per batch, ${DRAIN_TICKS} per pass, all views`;
  return [
    {
      name: 'drain shape: insertSamples',
      value: best.after.cpuUs,
      unit: 'CPU-us/sample',
      note: `${note}; process CPU, the merges it causes included`,
    },
    {
      name: 'drain shape: before (pre-merge on insert, parallel parsing, merge statistics)',
      value: best.before.cpuUs,
      unit: 'CPU-us/sample',
      note: 'the same inserts into a database without migration 4, with the insert settings of then',
    },
    { name: 'drain shape: CPU after / before', value: best.after.cpuUs / best.before.cpuUs, unit: 'ratio' },
    {
      name: 'drain shape: insertSamples, insert calls',
      value: best.after.wall,
      unit: 'GPU-samples/s',
      note: 'wall clock of the inserts alone',
    },
    { name: 'drain shape: before, insert calls', value: best.before.wall, unit: 'GPU-samples/s' },
  ];
}

/**
 * The insert path alone, by part, on drain-shaped batches: the same rows parsed into a Null table of gpu_samples'
 * columns, written into a copy of gpu_samples without views, and inserted by insertSamples (the views attached), tick
 * by tick in turn, merges stopped; medians. Each includes encoding the body, which the differences cancel.
 */
async function insertPathParts(store, startMs, drainCpuUs) {
  await store.command('CREATE TABLE kiln.bench_parse_only AS kiln.gpu_samples ENGINE = Null');
  await store.command('CREATE TABLE kiln.bench_no_views AS kiln.gpu_samples');
  await store.command('SYSTEM STOP MERGES kiln.bench_no_views');
  await setMerges(store, 'kiln', false);
  const encoder = new NativeSampleEncoder();
  // The body and settings insertSamples sends (src/insert/insert-statement.ts), with a token of its own.
  const direct = (table) => (batch, token) =>
    store.engine.insertNative(`kiln.${table}`, SAMPLE_COLUMNS, encoder.encode(batch), {
      insert_deduplication_token: token,
      async_insert: 0,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      optimize_on_insert: 0,
      input_format_parallel_parsing: 0,
    });
  const parts = {
    parse: direct('bench_parse_only'),
    raw: direct('bench_no_views'),
    views: (batch, token) => store.insertSamples(batch, token),
  };
  const cpuUs = { parse: [], raw: [], views: [] };
  const smallMs = [];
  const ticks = 8;
  const samples = fleetSamples(startMs, 0x7061, DRAIN_GPUS, ticks);
  for (let t = 0; t < ticks; t++) {
    const batch = slice(samples, t * DRAIN_GPUS, (t + 1) * DRAIN_GPUS);
    const order = t % 2 === 0 ? ['parse', 'raw', 'views'] : ['views', 'raw', 'parse'];
    for (const part of order) {
      const cpu = process.cpuUsage();
      await parts[part](batch, `parts:${part}:${t}`);
      const used = process.cpuUsage(cpu);
      cpuUs[part].push((used.user + used.system) / batch.length);
    }
    // What an insert costs whatever its size: a small one (a live partition's flush).
    const small = slice(samples, t * DRAIN_GPUS, t * DRAIN_GPUS + 500);
    const cpu = process.cpuUsage();
    await store.insertSamples(small, `parts:small:${t}`);
    const used = process.cpuUsage(cpu);
    smallMs.push((used.user + used.system) / 1000);
  }
  await setMerges(store, 'kiln', true);
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const [parse, raw, views] = [median(cpuUs.parse), median(cpuUs.raw), median(cpuUs.views)];
  const note = `drain shape, median of ${ticks} inserts of each`;
  return [
    {
      name: 'insert path: encoding and reading the Native body',
      value: parse,
      unit: 'CPU-us/sample',
      note: `${note}; into a Null table of gpu_samples' columns`,
    },
    {
      name: 'insert path: writing gpu_samples',
      value: raw - parse,
      unit: 'CPU-us/sample',
      note: 'a copy of gpu_samples without views, less the above',
    },
    {
      name: 'insert path: the three rollup views',
      value: views - raw,
      unit: 'CPU-us/sample',
      note: 'insertSamples (merges stopped), less the above',
    },
    {
      name: 'insert path: one 500-sample insert',
      value: median(smallMs),
      unit: 'CPU-ms',
      note: 'insertSamples, views attached, merges stopped',
    },
    {
      name: 'background merges (drain shape less insert path)',
      value: drainCpuUs - views,
      unit: 'CPU-us/sample',
      note: 'runs apart: a rough figure',
    },
  ];
}

/** Rows per CPU-second of this thread's work, best of `rounds` (CPU time, not wall: the machine may be shared). */
function bestRate(rows, rounds, work) {
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const started = process.cpuUsage();
    work();
    const used = process.cpuUsage(started);
    best = Math.min(best, used.user + used.system);
  }
  return (rows / best) * 1e6;
}

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-store-'));
  const store = await createStore({ dataDir: dir });
  try {
    await store.migrate();
    const results = [];
    const startMs = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000;
    const samples = fleetSamples(startMs, 0x6b696c6e);

    const encodeBatch = slice(samples, 0, 20_000);
    const encoder = new SampleEncoder();
    results.push({
      name: 'encode, SampleEncoder (bytes)',
      value: bestRate(encodeBatch.length, 15, () => encoder.encode(encodeBatch)),
      unit: 'GPU-samples/CPU-s',
      note: '20k-row batches, best of 15',
    });
    const native = new NativeSampleEncoder();
    results.push({
      name: 'encode, NativeSampleEncoder (bytes)',
      value: bestRate(encodeBatch.length, 15, () => native.encode(encodeBatch)),
      unit: 'GPU-samples/CPU-s',
      note: "the same rows, Native columns (the embedded store's body)",
    });
    results.push({
      name: 'encode, JSON.stringify per row (baseline)',
      value: bestRate(encodeBatch.length, 15, () => encodeWithStringify(encodeBatch)),
      unit: 'GPU-samples/CPU-s',
      note: 'the same rows as reused arrays',
    });

    /** The insert path the embedded store used before: @clickhouse/client exec on chdb's connection hook. */
    const encoderForClient = new SampleEncoder();
    const viaClient = async (batch, token) => {
      const query =
        `INSERT INTO kiln.gpu_samples (${SAMPLE_COLUMNS.join(', ')}) ` +
        `SETTINGS insert_deduplication_token = '${token}', async_insert = 0 FORMAT JSONCompactEachRow`;
      const result = await store.client.exec({
        query,
        values: Readable.from([encoderForClient.encode(batch)], { objectMode: false }),
      });
      result.stream.resume();
      await finished(result.stream);
    };
    const best = new Map();
    for (const [pass, [path, size]] of PASSES.entries()) {
      const shifted = fleetSamples(startMs + pass * 3_600_000, 0x6b696c6e + pass);
      const batches = [];
      for (let from = 0; from < shifted.length; from += size)
        batches.push(slice(shifted, from, Math.min(shifted.length, from + size)));
      const insert = path === 'client' ? viaClient : (batch, token) => store.insertSamples(batch, token);
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (const [i, batch] of batches.entries()) await insert(batch, `bench:${pass}:${i}`);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const key = `${path}:${size}`;
      const previous = best.get(key);
      const wall = shifted.length / seconds;
      const perCpu = shifted.length / ((used.user + used.system) / 1e6);
      best.set(key, {
        path,
        size,
        rows: shifted.length,
        wall: Math.max(wall, previous?.wall ?? 0),
        perCpu: Math.max(perCpu, previous?.perCpu ?? 0),
        load: loadavg()[0].toFixed(1),
      });
    }
    for (const { path, size, rows, wall, perCpu, load } of best.values()) {
      const name = `${path === 'client' ? 'insert via client hook' : 'insertSamples'}, embedded, ${size / 1000}k-row batches`;
      results.push({
        name,
        value: wall,
        unit: 'GPU-samples/s',
        note: `wall clock, ${rows.toLocaleString('en-US')} rows, rollup views attached; ${PATH_NOTE[path]}; load avg ${load}`,
      });
      results.push({
        name,
        value: perCpu,
        unit: 'GPU-samples/CPU-s',
        note: 'process CPU: encoding and the engine (all its threads)',
      });
    }

    for (const table of ['gpu_samples', 'gpu_rollup_10s', 'gpu_rollup_1m', 'gpu_rollup_1h'])
      await store.command(`OPTIMIZE TABLE kiln.${table} FINAL`);
    const sizes = await store.query(
      "SELECT table, toUInt64(sum(rows)) AS rows, toUInt64(sum(data_compressed_bytes)) AS bytes FROM system.parts WHERE database = 'kiln' AND active GROUP BY table",
    );
    const byTable = Object.fromEntries(sizes.map((s) => [s.table, { rows: Number(s.rows), bytes: Number(s.bytes) }]));
    const raw = byTable.gpu_samples;
    results.push({
      name: 'stored bytes per GPU-sample (gpu_samples)',
      value: raw.bytes / raw.rows,
      unit: 'B',
      note: `compressed, after OPTIMIZE FINAL; ${raw.rows.toLocaleString('en-US')} rows, ${METRIC_COUNT} metrics`,
    });
    // The same fleet as GB300s report it, on a day of its own (gpu_samples is partitioned by day), measured alone.
    const gbDay = startMs - 3 * 86_400_000;
    const gbSamples = fleetSamples(gbDay, 0x6b696c6e + 99, GPUS, SECONDS, true);
    for (let from = 0; from < gbSamples.length; from += 20_000) {
      await store.insertSamples(
        slice(gbSamples, from, Math.min(gbSamples.length, from + 20_000)),
        `bench:grace-blackwell:${from}`,
      );
    }
    await store.command('OPTIMIZE TABLE kiln.gpu_samples FINAL');
    const [gb] = await store.query(
      `SELECT toUInt64(sum(rows)) AS rows, toUInt64(sum(data_compressed_bytes)) AS bytes FROM system.parts WHERE database = 'kiln' AND table = 'gpu_samples' AND active AND partition = toString(toDate(fromUnixTimestamp64Milli(${gbDay})))`,
    );
    results.push({
      name: 'stored bytes per GPU-sample with the Grace-Blackwell fields (gpu_samples)',
      value: Number(gb.bytes) / Number(gb.rows),
      unit: 'B',
      note: `the same, ${Number(gb.rows).toLocaleString('en-US')} rows as a GB300 reports them (the figure above: those fields absent, as from an H100)`,
    });
    // Per window (one GPU's rollup row); the bench store-queries measures them on a whole day, where hours are whole.
    for (const [table, window] of [
      ['gpu_rollup_10s', '10 s'],
      ['gpu_rollup_1m', '1 min'],
      ['gpu_rollup_1h', '1 h'],
    ]) {
      const t = byTable[table];
      results.push({
        name: `stored bytes per ${window} window (${table})`,
        value: t.bytes / t.rows,
        unit: 'B',
        note: `${t.rows.toLocaleString('en-US')} rollup rows, ${(t.bytes / raw.rows).toFixed(2)} B per GPU-sample`,
      });
    }
    const drain = await drainShape(store, startMs - 12 * 3_600_000);
    results.push(...drain);
    results.push(...(await insertPathParts(store, startMs - 6 * 3_600_000, drain[0].value)));
    return results;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
