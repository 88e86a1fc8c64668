// The window core against a naive reference (a Map of per-window objects keyed by strings), on the same stream:
// updates per second per core and the ratio, plus bytes of core state per tracked GPU, windowing every metric and
// windowing only those the detectors read (Detection's WINDOW_METRICS, as the aggregator does).
import { METRIC_COUNT } from '@kiln/wire';
import { WINDOW_METRICS } from '@kiln/detect';
import { WindowCore } from '@kiln/window';

const GPUS = 20_000;
const TICKS = 30;
const WINDOWS = [10_000, 60_000];

function stream() {
  const values = new Float64Array(GPUS * METRIC_COUNT);
  for (let i = 0; i < values.length; i++) values[i] = (i % 97) + 0.5;
  return values;
}

function runCore(values) {
  let closed = 0;
  const core = new WindowCore({
    windowsMs: WINDOWS,
    allowedLatenessMs: 5_000,
    initialGpus: GPUS,
    onClose: () => closed++,
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let t = 0; t < TICKS; t++) {
    const ts = 1_764_000_000_000 + t * 1000;
    core.advanceTo(ts);
    for (let g = 0; g < GPUS; g++) core.add(g, ts, values, g * METRIC_COUNT);
  }
  const cpu = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, closed };
}

function runNaive(values) {
  const open = new Map();
  let closed = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let maxTs = 0;
  for (let t = 0; t < TICKS; t++) {
    const ts = 1_764_000_000_000 + t * 1000;
    for (let g = 0; g < GPUS; g++) {
      for (const len of WINDOWS) {
        const start = Math.floor(ts / len) * len;
        const key = `${g}:${len}:${start}`;
        let w = open.get(key);
        if (!w) open.set(key, (w = { start, len, metrics: {} }));
        for (let m = 0; m < METRIC_COUNT; m++) {
          const v = values[g * METRIC_COUNT + m];
          const s = (w.metrics[m] ??= { count: 0, sum: 0, min: Infinity, max: -Infinity, last: NaN });
          s.count++;
          s.sum += v;
          s.min = Math.min(s.min, v);
          s.max = Math.max(s.max, v);
          s.last = v;
        }
      }
    }
    maxTs = ts;
    for (const [key, w] of open) if (w.start + w.len <= maxTs - 5_000) open.delete(key), closed++;
  }
  const cpu = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, closed };
}

export async function run() {
  const values = stream();
  runCore(values); // warm-up
  const rss0 = process.memoryUsage().rss;
  const core = runCore(values);
  const rssCore = process.memoryUsage().rss - rss0;
  const naive = runNaive(values);
  const updates = GPUS * TICKS;
  const coreRate = updates / (core.cpuMs / 1000);
  const naiveRate = updates / (naive.cpuMs / 1000);
  const state = new WindowCore({ windowsMs: WINDOWS, allowedLatenessMs: 5_000, onClose: () => {} }).bytesPerGpu;
  const detectorState = new WindowCore({
    windowsMs: WINDOWS,
    allowedLatenessMs: 5_000,
    metrics: WINDOW_METRICS,
    onClose: () => {},
  }).bytesPerGpu;
  return [
    {
      name: 'window core updates per CPU-second',
      value: coreRate,
      unit: 'GPU-samples/s',
      note: `${GPUS} GPUs x ${TICKS} ticks, windows 10s+1m, ${METRIC_COUNT} metrics`,
    },
    {
      name: 'naive reference updates per CPU-second',
      value: naiveRate,
      unit: 'GPU-samples/s',
      note: 'Map of objects keyed by strings',
    },
    { name: 'core speed-up over naive', value: coreRate / naiveRate, unit: 'x' },
    {
      name: 'window state per tracked GPU',
      value: state,
      unit: 'bytes',
      note: `ring of 10 s windows + 1 min accumulator; RSS growth ${Math.round(rssCore / GPUS)} B/GPU`,
    },
    {
      name: "window state per tracked GPU, detectors' metrics",
      value: detectorState,
      unit: 'bytes',
      note: `${WINDOW_METRICS.length} of ${METRIC_COUNT} metrics (WINDOW_METRICS), by layout`,
    },
  ];
}
