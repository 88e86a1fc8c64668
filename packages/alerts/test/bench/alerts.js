// The alert path: lifecycle observations per CPU-second (the detectors call observe on every sample of every GPU),
// fingerprints per second, and notifications through the full pipeline (validate, dedup, send, record) to a real
// webhook endpoint on loopback: throughput and handle-to-delivered latency.
import { createServer } from 'node:http';
import { AlertLifecycle, createReceiver, fingerprint, Notifier } from '@kiln/alerts';

const GPUS = 20_000;
const TICKS = 30;
const T0 = 1_764_151_200_000;

const labelsOf = (g) => ({
  alertname: 'GpuTemperatureNearSlowdown',
  severity: 'critical',
  category: 'thermal',
  cluster: 'eus2-ai1',
  rack: `r${String(Math.floor(g / 72)).padStart(4, '0')}`,
  host: `r${String(Math.floor(g / 72)).padStart(4, '0')}-t${String(Math.floor((g % 72) / 4)).padStart(2, '0')}`,
  gpu: String(g % 4),
  uuid: `GPU-${g.toString(16).padStart(8, '0')}-7b4d-11ef-9a10-0242ac120002`,
});
const annotations = { summary: 'hot', description: 'temp_c=88' };

function observeRate(active) {
  const lc = new AlertLifecycle({ for: 10_000, keepFiringFor: 0 });
  const keys = Array.from({ length: GPUS }, (_, g) => `GpuHot/${g}`);
  const labels = keys.map((_, g) => labelsOf(g));
  const c0 = process.cpuUsage();
  for (let t = 0; t < TICKS; t++) {
    const ts = T0 + t * 1000;
    for (let g = 0; g < GPUS; g++) lc.observe(keys[g], active, ts, labels[g], annotations);
  }
  const cpu = process.cpuUsage(c0);
  return (GPUS * TICKS) / ((cpu.user + cpu.system) / 1e6);
}

function fingerprintRate() {
  const sets = Array.from({ length: 10_000 }, (_, g) => labelsOf(g));
  const t0 = performance.now();
  let n = 0;
  for (let r = 0; r < 10; r++) for (const s of sets) (fingerprint(s), n++);
  return n / ((performance.now() - t0) / 1000);
}

async function notifierFigures() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  let delivered = 0;
  const notifier = new Notifier({
    receivers: [createReceiver({ type: 'webhook', url, name: 'bench' })],
    onOutcome: (o) => {
      if (o.result === 'delivered') delivered++;
    },
  });
  const event = (g) => ({ labels: labelsOf(g), annotations, status: 'firing', startsAt: T0 });

  // Latency: one alert at a time, handle() until its notification was accepted.
  const latencies = [];
  for (let g = 0; g < 500; g++) {
    const t = performance.now();
    await notifier.handle(event(g));
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);

  // Throughput: an alert storm of distinct alerts handed in at once.
  const STORM = 2_000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: STORM }, (_, i) => notifier.handle(event(1_000 + i))));
  const stormSeconds = (performance.now() - t0) / 1000;

  await notifier.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  if (delivered !== 500 + STORM) throw new Error(`expected ${500 + STORM} deliveries, got ${delivered}`);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    rate: STORM / stormSeconds,
  };
}

export async function run() {
  observeRate(false); // warm-up
  const idle = observeRate(false);
  const active = observeRate(true);
  const fp = fingerprintRate();
  const n = await notifierFigures();
  return [
    { name: 'lifecycle observe, condition not holding', value: idle, unit: 'observations/CPU-s', note: `${GPUS} keys x ${TICKS} ticks; no state stored` },
    { name: 'lifecycle observe, alert pending/firing', value: active, unit: 'observations/CPU-s', note: `${GPUS} keys x ${TICKS} ticks, for=10s` },
    { name: 'fingerprint of a GPU alert label set', value: fp, unit: 'fingerprints/s', note: '8 labels, FNV-1a 64 as Alertmanager' },
    { name: 'notification latency p50', value: n.p50, unit: 'ms', note: 'handle() to webhook 200 on loopback, one at a time' },
    { name: 'notification latency p99', value: n.p99, unit: 'ms' },
    { name: 'notification throughput, alert storm', value: n.rate, unit: 'notifications/s', note: '2000 distinct alerts at once to one webhook, 16 open requests (default)' },
  ];
}
