// Scaling: the same backlog (576,000 GPU-samples: 40 GB300 NVL72 racks, 200 ticks) in a GPU stream mapped to 8
// partitions, drained by 1, 2 and 4 `kiln aggregator` processes sharing the partitions, all storing through one
// `kiln store` (the embedded engine). Each run has its own consumer group and a fresh store. The rate is measured
// from the moment the partitions are spread evenly over the processes to the last acknowledgement; CPU is what the
// aggregators and the store used over that span (nats-server excluded), per GPU-sample.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ensureStreams, fairShare, GPU_STREAM, partitionMapping, readLeaseOwners } from '@kiln/nats';
import { Fleet, publishFleet } from '@kiln/simulator';
import { freePort, startProcess, startTestNatsServer, tempDir } from '@kiln/testkit';
import { cpuSecondsOf, KILN_BIN } from './_processes.js';

const RACKS = 40;
const TICKS = 200;
const PARTITIONS = 8;
const GPUS_PER_MESSAGE = 4;
const COUNTS = [1, 2, 4];

export async function run() {
  const nats = await startTestNatsServer(partitionMapping(PARTITIONS));
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    const js = jetstream(nc);
    const backlog = await publishBacklog(js);
    const results = [
      { name: 'backlog published (JetStream-acked)', value: backlog.samples / backlog.seconds, unit: 'GPU-samples/s', note: `${backlog.samples.toLocaleString('en-US')} samples, ${PARTITIONS} partitions` },
    ];
    const rates = [];
    for (const n of COUNTS) {
      const r = await drainWith(n, nats.url, nc, jsm, backlog.messages);
      rates.push(r.rate);
      results.push(
        { name: `drain, ${n} aggregator${n > 1 ? 's' : ''}`, value: r.rate, unit: 'GPU-samples/s', note: `${(r.samples / 1000).toFixed(0)}k samples over ${r.seconds.toFixed(1)} s after ${r.balanceMs} ms to spread the partitions` },
        { name: `CPU per sample, ${n} aggregator${n > 1 ? 's' : ''}`, value: r.cpuUsPerSample, unit: 'CPU-µs', note: `aggregators ${r.aggregatorCpu.toFixed(1)} s + store ${r.storeCpu.toFixed(1)} s` },
      );
    }
    results.push({ name: `speed-up, ${COUNTS.at(-1)} aggregators vs 1`, value: rates.at(-1) / rates[0], unit: '×', note: 'one machine: every process shares its cores' });
    return results;
  } finally {
    await nc.close();
    await nats.dispose();
  }
}

async function publishBacklog(js) {
  const startMs = Math.floor(Date.now() / 1000) * 1000 - TICKS * 1000 - 60_000;
  const fleet = new Fleet({ cluster: 'scale-ai1', racks: RACKS, seed: 5, startMs });
  const t0 = performance.now();
  const published = await publishFleet(js, fleet, { mode: 'replay', ticks: TICKS, inflight: 256 });
  return { samples: published.samples, messages: published.messages, seconds: (performance.now() - t0) / 1000 };
}

/** Messages of the group's partitions not yet acknowledged; undefined while a partition has no consumer yet. */
async function remaining(jsm, group) {
  let left = 0;
  for (let k = 0; k < PARTITIONS; k++) {
    const info = await jsm.consumers.info(GPU_STREAM, `${group}-p${k}`).catch(() => undefined);
    if (!info) return undefined;
    left += info.num_pending + info.num_ack_pending;
  }
  return left;
}

async function drainWith(n, natsUrl, nc, jsm, messages) {
  const dir = await tempDir('kiln-bench-scale-');
  const group = `bench-n${n}`;
  const chPort = await freePort();
  const configFile = join(dir.path, 'kiln.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      data_dir: join(dir.path, 'state'),
      nats: { url: natsUrl, partitions: PARTITIONS },
      clickhouse: { listen: `127.0.0.1:${chPort}`, user: 'w', password: 'w' },
      aggregator: { consumer: group },
    }),
  );
  const env = { KILN_LOG_LEVEL: 'error', KILN_METRICS_LISTEN: '127.0.0.1:0' };
  const store = startProcess('store', process.execPath, [KILN_BIN, 'store', '--config', configFile], env);
  const aggregators = [];
  try {
    const chUrl = `http://127.0.0.1:${chPort}`;
    await until('kiln store', async () => (await fetch(`${chUrl}/ping`).catch(() => undefined))?.ok === true, 60_000);
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      aggregators.push(
        startProcess(`aggregator-${i}`, process.execPath, [KILN_BIN, 'aggregator', '--config', configFile], { ...env, KILN_CLICKHOUSE_URL: chUrl, KILN_AGGREGATOR_INSTANCE: `a${i}` }),
      );
    }
    const share = fairShare(PARTITIONS, n);
    await until(`${n} aggregators to spread the partitions`, async () => {
      const owners = [...(await readLeaseOwners(nc, group, PARTITIONS)).values()];
      const per = new Map();
      for (const o of owners) per.set(o, (per.get(o) ?? 0) + 1);
      return owners.length === PARTITIONS && per.size === n && Math.max(...per.values()) <= share;
    }, 120_000);
    const balanceMs = Math.round(performance.now() - started);
    const left0 = (await remaining(jsm, group)) ?? messages;
    const t0 = performance.now();
    const cpu0 = await cpuOfAll(store, aggregators);
    await until('the backlog to drain', async () => (await remaining(jsm, group)) === 0, 600_000, 100);
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = await cpuOfAll(store, aggregators);
    const samples = left0 * GPUS_PER_MESSAGE;
    const aggregatorCpu = cpu1.aggregators - cpu0.aggregators;
    const storeCpu = cpu1.store - cpu0.store;
    return { rate: samples / seconds, samples, seconds, balanceMs, aggregatorCpu, storeCpu, cpuUsPerSample: ((aggregatorCpu + storeCpu) * 1e6) / samples };
  } catch (err) {
    throw new Error(`${String(err)}\n${[store, ...aggregators].map((p) => p.tail(10)).join('\n')}`);
  } finally {
    for (const p of aggregators) await p.stop();
    await store.stop();
    await dir.remove();
  }
}

async function cpuOfAll(store, aggregators) {
  let a = 0;
  for (const p of aggregators) a += await cpuSecondsOf(p.child.pid);
  return { aggregators: a, store: await cpuSecondsOf(store.child.pid) };
}

async function until(what, check, ms, every = 250) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
