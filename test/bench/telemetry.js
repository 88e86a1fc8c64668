// What Kiln's own telemetry costs the pipeline, end to end: two `kiln aggregator` processes (each with its own
// embedded engine and durable consumer) drain the same JetStream backlog side by side, one with its instrumentation
// on, one with the OpenTelemetry SDK off (OTEL_SDK_DISABLED=true). Running at the same time, they share whatever
// else loads the machine, which a sequential on/off comparison on a shared machine cannot promise. Rounds swap
// which of the two starts first. "On" is harsher than production: /metrics scraped every second by a process of
// its own (as Prometheus would), OTLP push every second, every insert batch traced and exported.
// Then the instrumentation's own CPU per insert batch, per scrape and per OTLP push, measured in this process, and
// what share of a saturated JavaScript thread that makes at those rates and at the defaults.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { parseConfig } from '@kiln/config';
import { IngestStats } from '@kiln/ingest';
import { silentLogger } from '@kiln/log';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { Fleet, publishFleet } from '@kiln/simulator';
import { instrumentInserts, observeAggregatorService, startTelemetry } from '@kiln/telemetry';
import { startTestNatsServer, tempDir } from '@kiln/testkit';
import { WindowCore } from '@kiln/window';
import { KILN_BIN as KILN } from './_processes.js';

const RACKS = 40; // 2,880 GPUs
const TICKS = 100; // 288,000 GPU-samples, 72,000 messages
const ROUNDS = 4;
const log = silentLogger();

const freePort = () =>
  new Promise((resolve) => {
    const s = createTcpServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** CPU microseconds of a process (all threads) and of its main thread, from /proc (10 ms ticks). */
function cpuOf(pid) {
  const ticks = (path) => {
    const stat = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(stat[11]) + Number(stat[12])) * 10_000;
  };
  return { all: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`) };
}

/** An OTLP/HTTP receiver that accepts and drops every export. */
async function otlpSink() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

/**
 * A scraper in a process of its own, as Prometheus is. `every(url, ms)` scrapes until `stop()`; `burst(url, n)`
 * scrapes n times back to back; both resolve with each scrape's wall time (ms).
 */
function startScraper() {
  const script = `
    const readline = require('node:readline');
    let running = false;
    const once = async (url, times) => {
      const t0 = performance.now();
      try { await (await fetch(url)).text(); times.push(performance.now() - t0); } catch {}
    };
    readline.createInterface({ input: process.stdin }).on('line', async (line) => {
      const [command, url, arg] = line.split(' ');
      const times = [];
      if (command === 'every') {
        running = true;
        while (running) { await once(url, times); await new Promise((r) => setTimeout(r, Number(arg))); }
      } else if (command === 'burst') {
        for (let i = 0; i < Number(arg); i++) await once(url, times);
      } else if (command === 'stop') { running = false; return; }
      process.stdout.write(JSON.stringify(times) + '\\n');
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = '';
  const waiting = [];
  child.stdout.on('data', (d) => {
    buffered += d;
    for (let i; (i = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(i + 1))
      waiting.shift()?.(JSON.parse(buffered.slice(0, i)));
  });
  const send = (line) => child.stdin.write(`${line}\n`);
  const reply = () => new Promise((resolve) => waiting.push(resolve));
  return {
    every(url, ms) {
      const done = reply();
      send(`every ${url} ${ms}`);
      return { stop: () => (send('stop'), done) };
    },
    burst(url, n) {
      const done = reply();
      send(`burst ${url} ${n}`);
      return done;
    },
    close: () => child.kill(),
  };
}

async function publishBacklog(js) {
  const startMs = Math.floor(Date.now() / 1000) * 1000 - (TICKS + 30) * 1000;
  const fleet = new Fleet({ cluster: 'bench-ai1', racks: RACKS, seed: 5, startMs });
  const { samples, messages } = await publishFleet(js, fleet, { mode: 'replay', ticks: TICKS, inflight: 256 });
  return { samples, messages };
}

/** Starts `kiln aggregator` reading the whole stream through its own consumer into its own embedded engine. */
async function startAggregatorProcess(dir, name, natsUrl, mode, sink) {
  const metricsPort = await freePort();
  const configFile = join(dir, `${name}.yaml`);
  await writeFile(
    configFile,
    JSON.stringify({
      data_dir: join(dir, name),
      nats: { url: natsUrl },
      aggregator: { consumer: name },
      metrics: {
        listen: `127.0.0.1:${metricsPort}`,
        ...(mode === 'on' ? { otlp_endpoint: sink.url, otlp_interval_ms: 1_000, trace_sample_ratio: 1 } : {}),
      },
    }),
  );
  const env = { ...process.env, KILN_LOG_LEVEL: 'error', ...(mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}) };
  const child = spawn(process.execPath, [KILN, 'aggregator', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return { name, mode, child, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, stderr: () => stderr };
}

/**
 * One round: both aggregators drain the backlog at once. Each is timed, and its CPU read, from its first
 * acknowledgement (its engine loaded, its first batch durable) to its last.
 */
async function round(index, dir, natsUrl, jsm, backlog, sink, scraper) {
  const modes = index % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
  const procs = [];
  for (const mode of modes)
    procs.push(await startAggregatorProcess(dir, `bench-${index}-${mode}`, natsUrl, mode, sink));
  const state = new Map(procs.map((p) => [p.name, { first: 0, t0: 0, cpu0: undefined, done: undefined }]));
  let scraping;
  const deadline = Date.now() + 600_000;
  try {
    while ([...state.values()].some((s) => !s.done)) {
      for (const p of procs) {
        const s = state.get(p.name);
        if (s.done) continue;
        if (Date.now() > deadline || p.child.exitCode !== null)
          throw new Error(`${p.name} did not drain the backlog: ${p.stderr()}`);
        const info = await jsm.consumers.info(GPU_STREAM, p.name).catch(() => undefined);
        const acked = info?.ack_floor.stream_seq ?? 0;
        if (!s.t0 && acked > 0) {
          s.t0 = performance.now();
          s.cpu0 = cpuOf(p.child.pid);
          s.first = acked;
          if (p.mode === 'on') scraping = scraper.every(p.metricsUrl, 1_000);
        }
        if (info && info.num_pending === 0 && info.num_ack_pending === 0 && acked >= backlog.messages) {
          const seconds = (performance.now() - s.t0) / 1000;
          const samples = backlog.samples * ((backlog.messages - s.first) / backlog.messages);
          const cpu = cpuOf(p.child.pid);
          s.done = {
            mode: p.mode,
            rate: samples / seconds,
            cpuAll: (cpu.all - s.cpu0.all) / samples,
            cpuMain: (cpu.main - s.cpu0.main) / samples,
          };
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      modes,
      on: [...state.values()].find((s) => s.done.mode === 'on').done,
      off: [...state.values()].find((s) => s.done.mode === 'off').done,
      scrapes: (await scraping?.stop()) ?? [],
    };
  } finally {
    for (const p of procs) {
      p.child.kill('SIGTERM');
      if (p.child.exitCode === null) await new Promise((r) => p.child.once('exit', r));
    }
    for (const p of procs) await jsm.consumers.delete(GPU_STREAM, p.name).catch(() => undefined);
  }
}

/** Main-thread CPU (this process, /proc) in microseconds. */
const mainThreadCpuUs = () => cpuOf(process.pid).main;

/** The insert wrapper's own cost per batch (span started, ended and exported; two histograms), over a no-op insert. */
async function perBatchCost(sink) {
  const telemetry = await startTelemetry({
    service: 'kiln-bench',
    metrics: { listen: '127.0.0.1:0', otlp_endpoint: sink.url, otlp_interval_ms: 1_000, trace_sample_ratio: 1 },
    log,
  });
  const noop = { insertSamples: async () => undefined };
  const wrapped = instrumentInserts(noop, telemetry, log);
  const batch = { length: 20_000 };
  const n = 20_000;
  const time = async (s) => {
    const t0 = mainThreadCpuUs();
    for (let i = 0; i < n; i++) await s.insertSamples(batch, `samples:bench:${i}-${i}`);
    return (mainThreadCpuUs() - t0) / n;
  };
  await time(wrapped);
  const bare = await time(noop);
  const traced = await time(wrapped);
  await telemetry.shutdown();
  return traced - bare;
}

/**
 * Main-thread CPU of one collection: serving /metrics to a scraper in another process, and one OTLP push (collect,
 * protobuf, HTTP), over the aggregator's instruments and a real consumer's lag.
 */
async function perCollectionCost(nc, jsm, sink, scraper) {
  await jsm.consumers.add(GPU_STREAM, { durable_name: 'bench-lag', ack_policy: AckPolicy.Explicit });
  const telemetry = await startTelemetry({
    service: 'kiln-bench',
    metrics: { listen: '127.0.0.1:0', otlp_endpoint: sink.url, otlp_interval_ms: 3_600_000, trace_sample_ratio: 1 },
    log,
  });
  const windows = new WindowCore({ windowsMs: [10_000, 60_000], allowedLatenessMs: 5_000, onClose: () => {} });
  observeAggregatorService(telemetry, { stats: new IngestStats(), windows, consumers: () => ['bench-lag'] }, jsm);
  const url = `${telemetry.url}/metrics`;
  const n = 300;
  await scraper.burst(url, 20);
  let cpu = mainThreadCpuUs();
  await scraper.burst(url, n);
  const scrapeMs = (mainThreadCpuUs() - cpu) / n / 1000;
  for (let i = 0; i < 20; i++) await telemetry.flush();
  cpu = mainThreadCpuUs();
  for (let i = 0; i < n; i++) await telemetry.flush();
  const pushMs = (mainThreadCpuUs() - cpu) / n / 1000;
  await telemetry.shutdown();
  await jsm.consumers.delete(GPU_STREAM, 'bench-lag');
  return { scrapeMs, pushMs };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percent = (xs) => xs.map((x) => (x * 100).toFixed(1)).join(', ');

export async function run() {
  const nats = await startTestNatsServer();
  const dir = await tempDir('kiln-bench-telemetry-');
  const sink = await otlpSink();
  const scraper = startScraper();
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    const backlog = await publishBacklog(jetstream(nc));
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(i, dir.path, nats.url, jsm, backlog, sink, scraper));
    const { scrapeMs, pushMs } = await perCollectionCost(nc, jsm, sink, scraper);
    const batchUs = await perBatchCost(sink);

    const throughputCost = rounds.map((r) => 1 - r.on.rate / r.off.rate);
    const cpuCost = rounds.map((r) => r.on.cpuAll / r.off.cpuAll - 1);
    // The JavaScript thread mostly waits on the engine; what the instrumentation adds to it, per second of drain.
    const mainExtra = rounds.map((r) => ((r.on.cpuMain - r.off.cpuMain) * r.on.rate) / 1000);
    const scrapes = rounds.flatMap((r) => r.scrapes);
    const rate = (mode) => median(rounds.map((r) => r[mode].rate));
    const spread = (mode) => rounds.map((r) => Math.round(r[mode].rate / 1000)).join(', ');
    // At the measured rate, full batches, or one per flush_ms when slower: whichever is more (the defaults).
    const { batch_rows: batchRows, flush_ms: flushMs } = parseConfig({}, { env: {} }).aggregator;
    const batchesPerSecond = Math.max(rate('on') / batchRows, 1000 / flushMs);
    // The JavaScript thread's time the instrumentation takes each second, as a share of that thread were it saturated.
    const share = (scrapeEveryS, pushEveryS, ratio) =>
      ((scrapeMs / scrapeEveryS + pushMs / pushEveryS) / 1000 + (batchUs * ratio * batchesPerSecond) / 1e6) * 100;
    const shape = `${RACKS * 72} GPUs x ${TICKS} ticks (${backlog.samples.toLocaleString('en-US')} GPU-samples), embedded engine each`;
    return [
      {
        name: 'kiln aggregator drain, instrumentation on',
        value: rate('on'),
        unit: 'GPU-samples/s',
        note: `median of ${ROUNDS} rounds (k/s: ${spread('on')}); two aggregators at once, ${shape}`,
      },
      {
        name: 'kiln aggregator drain, SDK off',
        value: rate('off'),
        unit: 'GPU-samples/s',
        note: `median of ${ROUNDS} (k/s: ${spread('off')}); OTEL_SDK_DISABLED=true`,
      },
      {
        name: 'instrumentation cost, throughput',
        value: median(throughputCost) * 100,
        unit: '%',
        note: `median of rounds (${percent(throughputCost)}); on: scrape 1 s, OTLP push 1 s, every batch traced; goal < 3`,
      },
      {
        name: 'instrumentation cost, process CPU',
        value: median(cpuCost) * 100,
        unit: '%',
        note: `per GPU-sample, all threads (${percent(cpuCost)})`,
      },
      {
        name: 'instrumentation cost, main-thread CPU',
        value: median(mainExtra),
        unit: 'CPU-ms/s',
        note: `extra on the JavaScript thread per second of drain, 1000 = a core (${mainExtra.map((x) => x.toFixed(1)).join(', ')})`,
      },
      {
        name: 'instrumentation per insert batch',
        value: batchUs,
        unit: 'CPU-us',
        note: `span (sampled, exported) + 2 histograms; ${((batchUs * 1000) / batchRows).toFixed(2)} ns per GPU-sample at ${batchRows.toLocaleString('en-US')}-row batches`,
      },
      {
        name: 'instrumentation per /metrics scrape',
        value: scrapeMs,
        unit: 'CPU-ms',
        note: `main thread, serving a scraper process; ${scrapes.length ? median(scrapes).toFixed(0) : '-'} ms wall during the drains (consumer lag is a JetStream round trip)`,
      },
      {
        name: 'instrumentation per OTLP push',
        value: pushMs,
        unit: 'CPU-ms',
        note: 'main thread: collect, protobuf, HTTP POST',
      },
      {
        name: 'instrumentation share of a saturated main thread',
        value: share(1, 1, 1),
        unit: '%',
        note: `scrape 1 s, push 1 s, every batch traced (${batchesPerSecond.toFixed(0)} batches/s)`,
      },
      {
        name: 'instrumentation share of a saturated main thread',
        value: share(15, 15, 0.1),
        unit: '%',
        note: 'scrape 15 s, push 15 s (otlp_interval_ms default), trace_sample_ratio 0.1 (default)',
      },
    ];
  } finally {
    await nc.close();
    scraper.close();
    await sink.close();
    await nats.dispose();
    await dir.remove();
  }
}
