// The alert path: lifecycle observations per CPU-second (the detectors call observe on every sample of every GPU),
// fingerprints per second, events per second through the alerter's core (store, route, group), and notifications to
// a real webhook endpoint on loopback: an alert storm of whole racks, and the latency one alert adds on its own.
import { createServer } from 'node:http';
import {
  AlertLifecycle,
  AlertStore,
  buildRouteTree,
  createReceiver,
  Dispatcher,
  fingerprint,
  Inhibitor,
  Notifier,
  Silences,
} from '@kiln/alerts';

const GPUS = 20_000;
const TICKS = 30;
const T0 = 1_764_151_200_000;

const rackOf = (g) => `r${String(Math.floor(g / 72)).padStart(4, '0')}`;
const labelsOf = (g) => ({
  alertname: 'GpuTemperatureNearSlowdown',
  severity: 'critical',
  category: 'thermal',
  cluster: 'eus2-ai1',
  rack: rackOf(g),
  host: `${rackOf(g)}-t${String(Math.floor((g % 72) / 4)).padStart(2, '0')}`,
  gpu: String(g % 4),
  uuid: `GPU-${g.toString(16).padStart(8, '0')}-7b4d-11ef-9a10-0242ac120002`,
});
const annotations = { summary: 'hot', description: 'temp_c=88' };
const event = (g) => ({ labels: labelsOf(g), annotations, status: 'firing', startsAt: T0 });

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
  for (let r = 0; r < 10; r++) for (const s of sets) fingerprint(s), n++;
  return n / ((performance.now() - t0) / 1000);
}

/** An alerter core with in-memory state, routing every alert to one webhook grouped by rack. */
function core(url, groupWait) {
  let delivered = 0;
  const notifications = [];
  const notifier = new Notifier({
    receivers: [createReceiver({ type: 'webhook', url, name: 'bench' })],
    onOutcome: (o) => {
      if (o.result === 'delivered') delivered++, notifications.push(performance.now());
    },
  });
  const route = buildRouteTree({ receiver: 'bench', group_by: ['alertname', 'rack'], group_wait: groupWait }, [
    'bench',
  ]);
  const dispatcher = new Dispatcher({
    route,
    inhibitor: new Inhibitor([]),
    silences: new Silences(),
    alerts: new AlertStore(),
    notifier,
  });
  dispatcher.start();
  return { dispatcher, notifier, delivered: () => delivered, notifications };
}

async function alerterFigures() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;

  // Ingest: events applied, routed and grouped per second (delivery happens after group_wait, not measured here).
  const ingest = core(url, 3_600_000);
  const c0 = process.cpuUsage();
  for (let g = 0; g < GPUS; g++) await ingest.dispatcher.ingest(event(g));
  const cpu = process.cpuUsage(c0);
  const ingestRate = GPUS / ((cpu.user + cpu.system) / 1e6);
  await ingest.dispatcher.stop();
  await ingest.notifier.close();

  // Storm: 50 racks overheat at once, 72 GPUs each; group_wait 500 ms (Kiln's default).
  const RACKS = 50;
  const storm = core(url, 500);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: RACKS * 72 }, (_, g) => storm.dispatcher.ingest(event(g))));
  while (storm.delivered() < RACKS) await new Promise((r) => setTimeout(r, 5));
  await storm.dispatcher.settle();
  const stormMs = Math.max(...storm.notifications) - t0;
  const stormNotifications = storm.delivered();
  await storm.dispatcher.stop();
  await storm.notifier.close();

  // Latency added by the alerter with group_wait 0: ingest until the webhook accepted, one new group at a time.
  const single = core(url, 0);
  const latencies = [];
  for (let i = 0; i < 300; i++) {
    const before = single.delivered();
    const t = performance.now();
    await single.dispatcher.ingest(event(i * 72));
    while (single.delivered() === before) await new Promise((r) => setImmediate(r));
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  await single.dispatcher.stop();
  await single.notifier.close();

  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return { ingestRate, stormMs, stormNotifications, racks: RACKS, p50: latencies[150], p99: latencies[297] };
}

export async function run() {
  observeRate(false); // warm-up
  const idle = observeRate(false);
  const active = observeRate(true);
  const fp = fingerprintRate();
  const a = await alerterFigures();
  return [
    {
      name: 'lifecycle observe, condition not holding',
      value: idle,
      unit: 'observations/CPU-s',
      note: `${GPUS} keys x ${TICKS} ticks; no state stored`,
    },
    {
      name: 'lifecycle observe, alert pending/firing',
      value: active,
      unit: 'observations/CPU-s',
      note: `${GPUS} keys x ${TICKS} ticks, for=10s`,
    },
    {
      name: 'fingerprint of a GPU alert label set',
      value: fp,
      unit: 'fingerprints/s',
      note: '8 labels, FNV-1a 64 as Alertmanager',
    },
    {
      name: 'alerter core ingest (store, route, group)',
      value: a.ingestRate,
      unit: 'events/CPU-s',
      note: `${GPUS} distinct GPU alerts, in-memory state`,
    },
    {
      name: 'alert storm: notifications sent',
      value: a.stormNotifications,
      unit: 'notifications',
      note: `${a.racks} racks x 72 GPUs at once, grouped by rack`,
    },
    {
      name: 'alert storm: first alert to last notification',
      value: a.stormMs,
      unit: 'ms',
      note: 'group_wait 500 ms included, webhook on loopback',
    },
    {
      name: 'alerter latency p50, group_wait 0',
      value: a.p50,
      unit: 'ms',
      note: 'ingest to webhook 200, a new group each time',
    },
    { name: 'alerter latency p99, group_wait 0', value: a.p99, unit: 'ms' },
  ];
}
