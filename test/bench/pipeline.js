// End to end: a 20,000-GPU backlog (278 GB300 NVL72 racks, 60 ticks) already in JetStream, drained by `kiln up`
// with the embedded engine, against JetStream's own rates in the same run:
//   - ingest: publishing the backlog (JetStream-acked, Nats-Msg-Id, 256 in flight);
//   - bare drain: a consumer that only acknowledges, the ceiling any consumer of this stream has;
//   - kiln drain: decode, windows, detectors, raw insert + rollup views, dead letters, checkpoints, acks.
// With the drain, where its CPU went (kiln up's threads by kind, and nats-server), and the batches kiln up inserted
// (GPU-samples per insert, time per insert: its own metrics). Then the CPU
// each stage of the aggregator spends per GPU-sample (decode, window, detect, encode, insert, and the background
// merges the inserts cause), measured in this process on the same messages. The memory each tracked GPU costs is
// the gpu-state bench's.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { spawn } from 'node:child_process';
import { cpuSecondsOf, KILN_BIN as KILN, minorFaultsOf, peakRssOf, threadCpuSecondsOf } from './_processes.js';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { parseConfig } from '@kiln/config';
import { Detection, WINDOW_METRICS } from '@kiln/detect';
import { LatestSample } from '@kiln/ingest';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { Fleet } from '@kiln/simulator';
import { createStore, NativeSampleEncoder } from '@kiln/store';
import { startTestNatsServer, tempDir } from '@kiln/testkit';
import { PartitionAnalysis } from '@kiln/window';
import {
  DecodeStats,
  DEFAULT_DECODE_LIMITS,
  decodeMessage,
  encodeMessage,
  gpuSubject,
  METRIC_COUNT,
  messageId,
  SampleBatch,
} from '@kiln/wire';

const RACKS = 278; // 20,016 GPUs
const TICKS = 60;
/** Untimed rounds before a stage is timed. */
const WARM_ROUNDS = 3;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function publishBacklog(js, startMs) {
  const fleet = new Fleet({ cluster: 'bench-ai1', racks: RACKS, seed: 11, startMs });
  const bodies = [];
  let inflight = [];
  let samples = 0;
  const t0 = performance.now();
  for (let t = 0; t < TICKS; t++) {
    for (const m of fleet.tickShared()) {
      const body = encodeMessage(m);
      if (t === 0) bodies.push({ subject: gpuSubject(m.cluster, m.rack, m.host), body: Buffer.from(body) });
      samples += m.gpus.length;
      inflight.push(js.publish(gpuSubject(m.cluster, m.rack, m.host), body, { msgID: messageId(m.host, m.seq) }));
      if (inflight.length >= 256) {
        await Promise.all(inflight);
        inflight = [];
      }
    }
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - t0) / 1000;
  return { samples, messages: TICKS * fleet.hostCount, seconds, firstTick: bodies, gpus: fleet.gpuCount };
}

async function bareDrain(nc, jsm, messages) {
  await jsm.consumers.add(GPU_STREAM, {
    durable_name: 'bench-bare',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 100_000,
  });
  const c = await jetstream(nc).consumers.get(GPU_STREAM, 'bench-bare');
  const t0 = performance.now();
  const iter = await c.consume({ max_messages: 2000 });
  let n = 0;
  for await (const m of iter) {
    m.ack();
    if (++n === messages) break;
  }
  await nc.flush();
  const seconds = (performance.now() - t0) / 1000;
  await jsm.consumers.delete(GPU_STREAM, 'bench-bare');
  return seconds;
}

/** A sample's sum and count in Prometheus text: `<name>_sum` and `<name>_count` of the series matching `labels`. */
function histogramTotals(text, name, labels = '') {
  const value = (suffix) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}_${suffix}`) && l.includes(labels));
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { sum: value('sum'), count: value('count') };
}

async function kilnDrain(dir, nats, jsm, messages) {
  const natsUrl = nats.url;
  const configFile = join(dir, 'kiln.yaml');
  const metricsPort = await freePort();
  await writeFile(
    configFile,
    JSON.stringify({
      data_dir: join(dir, 'state'),
      nats: { url: natsUrl },
      clickhouse: { listen: `127.0.0.1:${await freePort()}`, user: 'w', password: 'w' },
      alerter: { listen: `127.0.0.1:${await freePort()}` },
      metrics: { listen: `127.0.0.1:${metricsPort}` },
    }),
  );
  const child = spawn(process.execPath, [KILN, 'up', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KILN_LOG_LEVEL: 'error' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  let t0 = 0;
  let first = 0;
  let cpu0 = 0;
  let threads0;
  let nats0 = 0;
  let faults0 = 0;
  let delivered0 = 0;
  const deadline = Date.now() + 600_000;
  try {
    for (;;) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`kiln up did not drain the backlog: ${stderr}`);
      const info = await jsm.consumers.info(GPU_STREAM, 'kiln-aggregator').catch(() => undefined);
      if (info) {
        const acked = info.ack_floor.stream_seq;
        if (!t0 && acked > 0) {
          t0 = performance.now();
          first = acked;
          cpu0 = await cpuSecondsOf(child.pid);
          threads0 = await threadCpuSecondsOf(child.pid);
          nats0 = await cpuSecondsOf(nats.pid);
          faults0 = await minorFaultsOf(child.pid);
          delivered0 = info.delivered.stream_seq;
        }
        if (info.num_pending === 0 && info.num_ack_pending === 0 && acked >= messages) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // From the first acknowledged batch on: start-up is left out; the CPU counts against the messages delivered since
    // (those before were decoded already).
    const usage = (await cpuSecondsOf(child.pid)) - cpu0;
    const threads1 = await threadCpuSecondsOf(child.pid);
    const threads = Object.fromEntries(Object.entries(threads1).map(([kind, s]) => [kind, s - threads0[kind]]));
    const natsSeconds = (await cpuSecondsOf(nats.pid)) - nats0;
    const faults = (await minorFaultsOf(child.pid)) - faults0;
    const peakRss = await peakRssOf(child.pid);
    const seconds = (performance.now() - t0) / 1000;
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const batches = histogramTotals(metrics, 'kiln_insert_batch_samples');
    const inserts = histogramTotals(metrics, 'kiln_insert_duration_seconds', 'outcome="ok"');
    return {
      seconds,
      fromMessage: first,
      cpuSeconds: usage,
      threads,
      natsSeconds,
      faults,
      peakRss,
      cpuFromMessage: delivered0,
      batches,
      insertSeconds: inserts.sum,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function stageCosts(bodies, dir, ticksPerInsert) {
  const config = parseConfig({}, { env: {} });
  const batch = new SampleBatch(bodies.length * 4 + 8);
  const stats = new DecodeStats();
  const now = Date.now();
  // Each stage runs warm, as in a long-running aggregator: rounds past the compiler's warm-up, then the timed ones.
  const rows = bodies.length * 4;
  const reps = 5;
  const perRow = (round) => {
    for (let r = 0; r < WARM_ROUNDS; r++) round(r);
    const c0 = cpuMs();
    for (let r = WARM_ROUNDS; r < WARM_ROUNDS + reps; r++) round(r);
    return (cpuMs() - c0) / (reps * rows);
  };
  const decode = perRow(() => {
    batch.clear();
    for (let i = 0; i < bodies.length; i++)
      decodeMessage(bodies[i].subject, bodies[i].body, now, DEFAULT_DECODE_LIMITS, batch, stats, i);
  });
  if (batch.length !== rows) throw new Error(`decoded ${batch.length} rows of ${rows}`);
  // window (registry + latest + event-time clock + core, as a partition wires them), then detection, on the decoded
  // rows; each round a tick later
  const { aggregator } = config;
  const windowing = {
    forgetGpuAfterMs: aggregator.forget_gpu_after_ms,
    allowedLatenessMs: aggregator.allowed_lateness_ms,
    windowsMs: aggregator.windows_ms,
    metrics: WINDOW_METRICS,
  };
  const analysis = new PartitionAnalysis(windowing, (registry) => new Detection(registry, config.detect, () => {}));
  const { registry, clock, windows, analyser: detection } = analysis;
  const latest = new LatestSample();
  registry.addStateOwner(latest);
  const ids = new Int32Array(rows);
  const window = perRow((r) => {
    clock.arrived(now + r * 1000);
    for (let row = 0; row < rows; row++) {
      const id = (ids[row] = registry.id(batch.cluster[row], batch.rack[row], batch.host[row], batch.gpu[row]));
      latest.advance(id, batch.ts[row] + r * 1000);
      const at = (batch.eventTs[row] = clock.count(
        batch.ts[row] + r * 1000,
        registry.hostIdOf(id),
        registry.hostsTracked,
      ));
      windows.advanceTo(clock.now);
      windows.add(id, at, batch.values, row * METRIC_COUNT);
    }
  });
  const detect = perRow(() => {
    for (let row = 0; row < rows; row++) detection.onSample(batch, row, ids[row]);
  });
  // encode: the Native body the embedded engine takes
  const encoder = new NativeSampleEncoder();
  const encode = perRow(() => encoder.encode(batch));
  // insert (embedded engine, every rollup view): one tick per insert, as a live partition flushes, and `ticksPerInsert`
  // ticks, as kiln up's drain batches held; with the merges their parts cause, by thread.
  await mkdir(join(dir, 'stage'), { recursive: true });
  const store = await createStore({ dataDir: join(dir, 'stage') });
  await store.migrate();
  let unused = 0; // the first tick no insert has held yet
  const insertCost = async (ticks, label) => {
    const wide = repeatTicks(batch, ticks);
    let at = 0;
    // Moves the batch to ticks no insert has held: every insert a later stretch of event time than any before it.
    const fresh = () => {
      for (let row = 0; row < wide.length; row++) wide.ts[row] += (unused - at) * 1000;
      at = unused;
      unused += ticks;
      return wide;
    };
    // The engine compiles an expression on its third use (min_count_to_compile_expression): warm up past that, as a
    // running aggregator is.
    for (let w = 0; w < 3; w++) await store.insertSamples(fresh(), `warm-up-${label}-${w}`);
    await mergesSettled(store);
    // Enough inserts for merges to run as they do in a drain; merges still running afterwards are waited for.
    const inserts = Math.max(12, Math.ceil(600_000 / wide.length));
    const before = await threadCpuSecondsOf(process.pid);
    for (let r = 0; r < inserts; r++) await store.insertSamples(fresh(), `bench-${label}-${r}`);
    await mergesSettled(store);
    const after = await threadCpuSecondsOf(process.pid);
    const per = (seconds) => (seconds * 1000) / (inserts * wide.length);
    const merges = per(after.merges - before.merges);
    const insert = per(after.main + after.node + after.engine - (before.main + before.node + before.engine));
    return { insert: insert - encode, merges };
  };
  const live = await insertCost(1, 'live');
  const drain = await insertCost(ticksPerInsert, 'drain');
  await store.close();
  return { decode, window, detect, encode, live, drain, ticksPerInsert, rows };
}

/** `ticks` copies of the tick in `batch`, each a second after the one before. */
function repeatTicks(batch, ticks) {
  const rows = batch.length;
  const wide = new SampleBatch(rows * ticks);
  for (let t = 0; t < ticks; t++) {
    for (let row = 0; row < rows; row++) {
      const to = t * rows + row;
      wide.ts[to] = batch.ts[row] + t * 1000;
      wide.gpu[to] = batch.gpu[row];
      for (const key of ['cluster', 'rack', 'host', 'uuid', 'job']) wide[key][to] = batch[key][row];
    }
    wide.values.set(batch.values.subarray(0, rows * METRIC_COUNT), t * rows * METRIC_COUNT);
  }
  wide.length = rows * ticks;
  return wide;
}

/** Waits until the store's engine has run no merge for a second (at most a minute): the merges inserts left behind. */
async function mergesSettled(store) {
  for (let quiet = 0, waited = 0; quiet < 5 && waited < 60_000; waited += 200) {
    await new Promise((r) => setTimeout(r, 200));
    const [{ n }] = await store.query("SELECT toUInt32(count()) AS n FROM system.merges WHERE database = 'kiln'");
    quiet = n === 0 ? quiet + 1 : 0;
  }
}

/**
 * Where the drain's CPU went, per GPU-sample: kiln up's threads by kind and nats-server, measured over the same span
 * as the rate; their sum bounds the rate the machine's cores allow.
 */
function drainCpuRows(kiln, samples) {
  const per = (seconds) => (seconds * 1e6) / samples;
  const { main, node, engine, merges } = kiln.threads;
  const total = per(main + node + engine + merges + kiln.natsSeconds);
  const cores = cpus().length;
  return [
    {
      name: 'drain CPU: kiln up JavaScript thread',
      value: per(main),
      unit: 'CPU-us/sample',
      note: 'NATS client, decode, windows, detectors, encode',
    },
    {
      name: "drain CPU: kiln up Node's other threads",
      value: per(node),
      unit: 'CPU-us/sample',
      note: "libuv workers (body files, the engine's calls), V8 helpers",
    },
    {
      name: 'drain CPU: kiln up engine inserts',
      value: per(engine),
      unit: 'CPU-us/sample',
      note: 'embedded engine: raw table and rollup views',
    },
    {
      name: 'drain CPU: kiln up engine merges',
      value: per(merges),
      unit: 'CPU-us/sample',
      note: "background merges of the inserts' parts",
    },
    {
      name: 'drain CPU: nats-server',
      value: per(kiln.natsSeconds),
      unit: 'CPU-us/sample',
      note: "delivering the backlog to kiln up's consumer",
    },
    {
      name: 'drain: page faults in kiln up',
      value: (kiln.faults * 1000) / samples,
      unit: 'per 1k samples',
      note: "minor faults: pages touched for the first time since mapped (the engine's freed buffers that went back to the OS)",
    },
    {
      name: 'drain CPU: all of it',
      value: total,
      unit: 'CPU-us/sample',
      note: `${cores} cores allow ${Math.round((cores * 1e6) / total).toLocaleString('en-US')} GPU-samples/s at this cost; 100,000/s needs <= ${(cores * 10).toFixed(0)}`,
    },
  ];
}

export async function run() {
  const nats = await startTestNatsServer();
  const dir = await tempDir('kiln-bench-pipeline-');
  try {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    const startMs = Math.floor(Date.now() / 1000) * 1000 - (TICKS + 5) * 1000;
    const backlog = await publishBacklog(jetstream(nc), startMs);
    const bare = await bareDrain(nc, jsm, backlog.messages);
    const kiln = await kilnDrain(dir.path, nats, jsm, backlog.messages);
    await nc.close();
    const counted = backlog.samples * ((backlog.messages - kiln.fromMessage) / backlog.messages);
    const cpuCounted = backlog.samples * ((backlog.messages - kiln.cpuFromMessage) / backlog.messages);
    const kilnRate = counted / kiln.seconds;
    const bareRate = backlog.samples / bare;
    const ingestRate = backlog.samples / backlog.seconds;
    const ticksPerInsert = Math.max(1, Math.round(kiln.batches.sum / kiln.batches.count / backlog.gpus));
    const stages = await stageCosts(backlog.firstTick, dir.path, ticksPerInsert);
    // What kiln up ran with: the defaults and any KILN_AGGREGATOR_* of this environment, which the child inherits.
    const config = parseConfig({}, { env: process.env });
    const us = (ms) => ms * 1000;
    return [
      {
        name: 'kiln up drain, end to end',
        value: kilnRate,
        unit: 'GPU-samples/s',
        note: `${backlog.gpus} GPUs x ${TICKS} ticks backlog, embedded engine; ${((kiln.cpuSeconds * 1e6) / cpuCounted).toFixed(1)} CPU-us/sample in kiln up`,
      },
      ...drainCpuRows(kiln, cpuCounted),
      {
        name: 'JetStream bare drain (ack only)',
        value: bareRate,
        unit: 'GPU-samples/s',
        note: `${backlog.messages} messages of 4 GPUs`,
      },
      {
        name: 'kiln drain / bare drain',
        value: kilnRate / bareRate,
        unit: 'ratio',
        note: 'against the ceiling of any consumer of this stream',
      },
      {
        name: 'JetStream ingest (acked publish)',
        value: ingestRate,
        unit: 'GPU-samples/s',
        note: 'Node publisher, 256 in flight',
      },
      {
        name: 'kiln drain / ingest',
        value: kilnRate / ingestRate,
        unit: 'ratio',
        note: "goal >= 0.8 of JetStream's own rate",
      },
      {
        name: 'kiln up: GPU-samples per insert',
        value: kiln.batches.sum / kiln.batches.count,
        unit: 'GPU-samples',
        note: `mean of ${kiln.batches.count} inserts (aggregator.batch_rows ${config.aggregator.batch_rows}, flush_ms ${config.aggregator.flush_ms})`,
      },
      {
        name: 'kiln up: peak RSS',
        value: kiln.peakRss / 2 ** 20,
        unit: 'MiB',
        note: 'start-up and the drain: NATS client, batches, embedded engine',
      },
      {
        name: 'kiln up: time per insert',
        value: (kiln.insertSeconds / kiln.batches.count) * 1000,
        unit: 'ms',
        note: `one at a time: ${kiln.insertSeconds.toFixed(1)} s of inserts, the first included; the rate counts from the first batch stored, ${kiln.seconds.toFixed(1)} s`,
      },
      {
        name: 'stage CPU: decode',
        value: us(stages.decode),
        unit: 'CPU-us/sample',
        note: `${stages.rows} samples x 5, after ${WARM_ROUNDS} untimed rounds (each stage)`,
      },
      { name: 'stage CPU: window (registry, dedup, core)', value: us(stages.window), unit: 'CPU-us/sample' },
      { name: 'stage CPU: detect (all detectors)', value: us(stages.detect), unit: 'CPU-us/sample' },
      {
        name: 'stage CPU: encode (insert body)',
        value: us(stages.encode),
        unit: 'CPU-us/sample',
        note: 'Native, as the embedded engine takes it',
      },
      {
        name: 'stage CPU: insert, one tick per insert (live)',
        value: us(stages.live.insert),
        unit: 'CPU-us/sample',
        note: `embedded engine in process, every rollup view; ${stages.rows}-sample inserts`,
      },
      {
        name: 'stage CPU: background merges of those',
        value: us(stages.live.merges),
        unit: 'CPU-us/sample',
        note: 'during the inserts, and after until none is left',
      },
      {
        name: `stage CPU: insert, ${stages.ticksPerInsert} ticks per insert (drain)`,
        value: us(stages.drain.insert),
        unit: 'CPU-us/sample',
        note: `as kiln up's drain batches held; ${stages.rows * stages.ticksPerInsert}-sample inserts`,
      },
      { name: 'stage CPU: background merges of those', value: us(stages.drain.merges), unit: 'CPU-us/sample' },
    ];
  } finally {
    await nats.dispose();
    await dir.remove();
  }
}
