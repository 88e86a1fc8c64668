// Scaling: the same backlog (576,000 GPU-samples: 40 GB300 NVL72 racks, 200 ticks) in a GPU stream mapped to 8
// partitions, drained by `kiln up` (one process: aggregator and embedded engine together), then by 1, 2 and 4
// `kiln aggregator` processes sharing the partitions, all storing through one `kiln store` (the embedded engine, over
// its HTTP interface). Each run has its own consumer group and a fresh store. The rate is measured from the moment the
// partitions are spread evenly over the processes to the last acknowledgement; CPU is what the Kiln processes used
// over that span (nats-server excluded), per GPU-sample.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ensureStreams, fairShare, GPU_STREAM, partitionMapping, readLeaseOwners } from '@kiln/nats';
import { Fleet, publishFleet } from '@kiln/simulator';
import { freePort, startProcess, startTestNatsServer, tempDir } from '@kiln/testkit';
import { cpuSecondsOf, KILN_BIN, threadCpuSecondsOf, until } from './_processes.js';

const RACKS = 40;
const TICKS = 200;
const PARTITIONS = 8;
const GPUS_PER_MESSAGE = 4;
const COUNTS = (process.env.KILN_BENCH_AGGREGATORS ?? '1,2,4').split(',').map(Number);

export async function run() {
  const nats = await startTestNatsServer(partitionMapping(PARTITIONS));
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { replicas: 1 });
    const js = jetstream(nc);
    const backlog = await publishBacklog(js);
    const results = [
      {
        name: 'backlog published (JetStream-acked)',
        value: backlog.samples / backlog.seconds,
        unit: 'GPU-samples/s',
        note: `${backlog.samples.toLocaleString('en-US')} samples, ${PARTITIONS} partitions`,
      },
    ];
    // nats-server is still writing the backlog's blocks for a few seconds after the last acknowledgement.
    await new Promise((r) => setTimeout(r, 5_000));
    // kiln up drains first and last, the baseline the mean of both: the machine's speed drifts over a run.
    const rates = new Map();
    const order = [0, ...COUNTS, 0];
    for (const [i, n] of order.entries()) {
      const r = await drainWith(n, nats.url, nc, jsm, backlog.messages, `bench-${i}`);
      const who = n === 0 ? `kiln up (${i === 0 ? 'first' : 'last'})` : `${n} aggregator${n > 1 ? 's' : ''}`;
      rates.set(n, [...(rates.get(n) ?? []), r.rate]);
      results.push(
        {
          name: `drain, ${who}`,
          value: r.rate,
          unit: 'GPU-samples/s',
          note: `${(r.samples / 1000).toFixed(0)}k samples over ${r.seconds.toFixed(1)} s after ${r.balanceMs} ms to spread the partitions`,
        },
        {
          name: `CPU per sample, ${who}`,
          value: r.cpuUsPerSample,
          unit: 'CPU-µs',
          note:
            n === 0 ? 'one process' : `aggregators ${r.aggregatorCpu.toFixed(1)} s + store ${r.storeCpu.toFixed(1)} s`,
        },
        {
          name: `${n === 0 ? 'kiln up' : 'kiln store'} CPU per sample by thread, ${who}`,
          value: (r.storeCpu * 1e6) / r.samples,
          unit: 'CPU-µs',
          note: Object.entries(r.storeThreads)
            .map(([kind, s]) => `${kind} ${((s * 1e6) / r.samples).toFixed(1)}`)
            .join(', '),
        },
      );
    }
    const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
    const up = mean(rates.get(0));
    for (const n of COUNTS) {
      results.push({
        name: `kiln store + ${n} aggregator${n > 1 ? 's' : ''} vs kiln up`,
        value: mean(rates.get(n)) / up,
        unit: '×',
        note: 'same backlog, same run; kiln up: the mean of its two drains',
      });
    }
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

/** Drains the backlog with `n` aggregators and `kiln store`, or with `kiln up` alone when `n` is 0, as consumer `group`. */
async function drainWith(n, natsUrl, nc, jsm, messages, group) {
  const dir = await tempDir('kiln-bench-scale-');
  const chPort = await freePort();
  const configFile = join(dir.path, 'kiln.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      data_dir: join(dir.path, 'state'),
      nats: { url: natsUrl, partitions: PARTITIONS },
      clickhouse: { listen: `127.0.0.1:${chPort}`, user: 'w', password: 'w' },
      aggregator: { consumer: group },
      alerter: { listen: `127.0.0.1:${await freePort()}` },
    }),
  );
  const env = { KILN_LOG_LEVEL: 'error', KILN_METRICS_LISTEN: '127.0.0.1:0' };
  const store = startProcess(
    n === 0 ? 'up' : 'store',
    process.execPath,
    [KILN_BIN, n === 0 ? 'up' : 'store', '--config', configFile],
    env,
  );
  const aggregators = [];
  try {
    const chUrl = `http://127.0.0.1:${chPort}`;
    await until('kiln store', async () => (await fetch(`${chUrl}/ping`).catch(() => undefined))?.ok === true, 60_000);
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      aggregators.push(
        startProcess(`aggregator-${i}`, process.execPath, [KILN_BIN, 'aggregator', '--config', configFile], {
          ...env,
          KILN_CLICKHOUSE_URL: chUrl,
          KILN_AGGREGATOR_INSTANCE: `a${i}`,
        }),
      );
    }
    const processes = Math.max(1, n);
    const share = fairShare(PARTITIONS, processes);
    await until(
      `${processes} aggregators to spread the partitions`,
      async () => {
        const owners = [...(await readLeaseOwners(nc, group, PARTITIONS)).values()];
        const per = new Map();
        for (const o of owners) per.set(o, (per.get(o) ?? 0) + 1);
        return owners.length === PARTITIONS && per.size === processes && Math.max(...per.values()) <= share;
      },
      120_000,
    );
    const balanceMs = Math.round(performance.now() - started);
    const left0 = (await remaining(jsm, group)) ?? messages;
    const t0 = performance.now();
    const cpu0 = await cpuOfAll(store, aggregators);
    const threads0 = await threadCpuSecondsOf(store.child.pid);
    await until('the backlog to drain', async () => (await remaining(jsm, group)) === 0, 600_000, 100);
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = await cpuOfAll(store, aggregators);
    const threads1 = await threadCpuSecondsOf(store.child.pid);
    const storeThreads = Object.fromEntries(Object.entries(threads1).map(([kind, s]) => [kind, s - threads0[kind]]));
    const samples = left0 * GPUS_PER_MESSAGE;
    const aggregatorCpu = cpu1.aggregators - cpu0.aggregators;
    const storeCpu = cpu1.store - cpu0.store;
    return {
      rate: samples / seconds,
      samples,
      seconds,
      balanceMs,
      aggregatorCpu,
      storeCpu,
      storeThreads,
      cpuUsPerSample: ((aggregatorCpu + storeCpu) * 1e6) / samples,
    };
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
