// Paging latency under load: `kiln up` with the shipped defaults, a 20,016-GPU fleet (278 GB300 NVL72 racks) published
// live at 1 Hz by `kiln simulate` in a process of its own (as agents publish from their hosts), and GPUs of different
// racks overheating at random moments. For each, the sample that let the
// thermal rule fire (the first one `for` after the first sample over its threshold: the rule holds in event time),
// and the time from its arrival in JetStream to the page on a webhook, split into:
//   - detect: to the alert event stored in JetStream (the sample's delivery, the aggregator's decode and detectors,
//     the publish);
//   - alert: from there to the webhook (the alerter's intake, grouping with the route's group_wait, the request).
// Also from the sample's event time: the simulator publishes each tick of 5,004 messages as fast as JetStream takes
// them, so a sample arrives up to a second or more after its time, where an agent publishes its 4 GPUs at once.
// KILN_BENCH_LATENCY_RACKS runs a smaller fleet.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { parseConfig } from '@kiln/config';
import { ALERT_STREAM, GPU_STREAM } from '@kiln/nats';
import { gpuSubject } from '@kiln/wire';
import { GPUS_PER_TRAY, hostName, rackName, TRAYS_PER_RACK } from '@kiln/simulator';
import { freePort, startHttpReceiver, startProcess, startTestNatsServer, tempDir } from '@kiln/testkit';
import { KILN_BIN, until } from './_processes.js';

const CLUSTER = 'lat-ai1';
const RACKS = Number(process.env.KILN_BENCH_LATENCY_RACKS ?? 278);
const OVERHEATS = 12;
const ALERT = 'GpuTemperatureNearSlowdown';
/** Overheats start this many seconds after the fleet does, at random; each heats past its threshold within a minute. */
const FIRST_ONSET_S = 40;
const LAST_ONSET_S = 100;
const DEADLINE_MS = 330_000;

export async function run() {
  const defaults = parseConfig({});
  const forMs = defaults.detect.thermal.for_ms;
  const marginC = defaults.detect.thermal.margin_c;
  const hot = pickGpus();
  const nats = await startTestNatsServer();
  const webhook = await startHttpReceiver();
  const dir = await tempDir('kiln-bench-latency-');
  const chPort = await freePort();
  const configFile = join(dir.path, 'kiln.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      data_dir: join(dir.path, 'state'),
      nats: { url: nats.url },
      clickhouse: { listen: `127.0.0.1:${chPort}`, user: 'w', password: 'w' },
      alerter: { listen: `127.0.0.1:${await freePort()}` },
      simulate: { enabled: false, cluster: CLUSTER, racks: RACKS, mode: 'realtime', faults: hot.map((g) => g.fault) },
      notify: [{ type: 'webhook', url: `${webhook.url}/hook` }],
    }),
  );
  const env = { KILN_LOG_LEVEL: 'error', KILN_METRICS_LISTEN: '127.0.0.1:0' };
  const up = startProcess('up', process.execPath, [KILN_BIN, 'up', '--config', configFile], env);
  const nc = await connect({ servers: nats.url });
  let simulate;
  try {
    await until(
      'kiln up',
      async () => (await fetch(`http://127.0.0.1:${chPort}/ping`).catch(() => undefined))?.ok === true,
      60_000,
    );
    simulate = startProcess('simulate', process.execPath, [KILN_BIN, 'simulate', '--config', configFile], env);
    const pagedAt = new Map();
    const deadline = Date.now() + DEADLINE_MS;
    while (pagedAt.size < hot.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      for (const p of [up, simulate]) if (p.child.exitCode !== null) throw new Error(`${p.name} exited: ${p.tail(20)}`);
      for (const request of webhook.requests) {
        const hook = JSON.parse(request.body);
        for (const a of hook.alerts) {
          const key = `${a.labels.host}/${a.labels.gpu}`;
          if (a.status === 'firing' && a.labels.alertname === ALERT && !pagedAt.has(key)) pagedAt.set(key, request.at);
        }
      }
    }
    const published = await alertEventTimes(nc);
    const firstHot = await firstHotSamples(`http://127.0.0.1:${chPort}`, hot, marginC);
    const rows = [];
    for (const g of hot) {
      const key = `${g.host}/${g.gpu}`;
      const canFire = firstHot.get(key) === undefined ? undefined : firstHot.get(key) + forMs;
      if (canFire === undefined || !pagedAt.has(key) || !published.has(key)) continue;
      const arrived = await arrivalOf(nc, g.host, canFire);
      rows.push({
        fromTime: pagedAt.get(key) - canFire,
        total: pagedAt.get(key) - arrived,
        detect: published.get(key) - arrived,
        alert: pagedAt.get(key) - published.get(key),
      });
    }
    if (rows.length === 0) throw new Error(`no GPU was paged: ${up.tail(20)}`);
    const note = `${rows.length} of ${hot.length} overheating GPUs paged, ${RACKS * 72} GPUs live at 1 Hz, for ${forMs / 1000} s`;
    const stat = (name, pick, what) => [
      { name: `${name}, p50`, value: percentile(rows.map(pick), 0.5), unit: 'ms', note: what },
      { name: `${name}, p99`, value: percentile(rows.map(pick), 0.99), unit: 'ms', note: what },
    ];
    return [
      ...stat('page after the sample that fired it arrived', (r) => r.total, note),
      ...stat('  detect (sample to alert event)', (r) => r.detect, 'delivery, decode, detectors, publish'),
      ...stat('  alert (alert event to webhook)', (r) => r.alert, 'intake, grouping (group_wait), request'),
      ...stat(
        'page after that sample’s event time',
        (r) => r.fromTime,
        'also the simulator’s publish of a 20,016-GPU tick',
      ),
    ];
  } finally {
    await simulate?.stop();
    await nc.close();
    await up.stop();
    await webhook.close();
    await nats.dispose();
    await dir.remove();
  }
}

/** One GPU in each of OVERHEATS racks spread over the fleet, overheating from a random moment. */
function pickGpus() {
  const gpus = [];
  for (let i = 0; i < OVERHEATS; i++) {
    const host = hostName(rackName(Math.floor((i * RACKS) / OVERHEATS)), Math.floor(Math.random() * TRAYS_PER_RACK));
    const gpu = Math.floor(Math.random() * GPUS_PER_TRAY);
    const onset = FIRST_ONSET_S + Math.floor(Math.random() * (LAST_ONSET_S - FIRST_ONSET_S));
    gpus.push({ host, gpu, fault: `overheat=6:${host}/${gpu}@${onset}s+240s` });
  }
  return gpus;
}

/** When each GPU's first firing alert event was stored in JetStream (its stream timestamp), by `host/gpu`. */
async function alertEventTimes(nc) {
  const consumer = await jetstream(nc).consumers.get(ALERT_STREAM);
  const first = new Map();
  for (;;) {
    const m = await consumer.next({ expires: 2_000 });
    if (m === null) return first;
    const event = m.json();
    const key = `${event.labels.host}/${event.labels.gpu}`;
    if (event.status === 'firing' && event.labels.alertname === ALERT && !first.has(key))
      first.set(key, Math.round(m.info.timestampNanos / 1e6));
  }
}

/** When the host's first message of tick `ts` or later was stored in JetStream (its stream timestamp). */
async function arrivalOf(nc, host, ts) {
  const rack = host.slice(0, host.lastIndexOf('-'));
  const consumer = await jetstream(nc).consumers.get(GPU_STREAM, {
    filter_subjects: gpuSubject(CLUSTER, rack, host),
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(ts - 5_000).toISOString(),
  });
  for (;;) {
    const m = await consumer.next({ expires: 2_000 });
    if (m === null) throw new Error(`no message of ${host} at ${ts}`);
    if (m.json().ts >= ts) return Math.round(m.info.timestampNanos / 1e6);
  }
}

/** The event time of each GPU's first stored sample at or over the thermal rule's threshold, by `host/gpu`. */
async function firstHotSamples(chUrl, hot, marginC) {
  const sql =
    'SELECT host, gpu, toUnixTimestamp64Milli(min(ts)) AS at FROM kiln.gpu_samples ' +
    `WHERE (host, gpu) IN (${hot.map((g) => `('${g.host}', ${g.gpu})`).join(', ')}) AND temp_c >= slowdown_temp_c - ${marginC} ` +
    'GROUP BY host, gpu FORMAT JSONEachRow';
  const text = await (await fetch(`${chUrl}/?query=${encodeURIComponent(sql)}`)).text();
  return new Map(
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l))
      .map((r) => [`${r.host}/${r.gpu}`, Number(r.at)]),
  );
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
