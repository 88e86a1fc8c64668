// Detection cost on a healthy 10,000-GPU fleet (139 GB300 NVL72 racks, one training job per rack, checkpoints):
// the same simulated samples go, tick by tick, through three set-ups, each the aggregator's per-sample path:
//   windows    GpuRegistry + WindowCore of the detectors' metrics (the baseline), reclaimIdle on each tick,
//   full       the same plus Detection (every detector, defaults) on samples, windows and closing passes,
//   onSample   Detection.onSample alone (the per-sample hot path).
// Figures are CPU time of this process per GPU-sample (other tenants of the machine do not count), and the bytes
// one onSample call allocates, from the young generation's growth over a pass after a forced collection.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseConfig } from '@kiln/config';
import { Detection, WINDOW_METRICS } from '@kiln/detect';
import { Fleet } from '@kiln/simulator';
import { METRIC_COUNT, SampleBatch } from '@kiln/wire';
import { GpuRegistry, WindowCore } from '@kiln/window';

const RACKS = 139;
const T0 = Date.UTC(2026, 0, 15);
const WARMUP_TICKS = 30;
const TICKS = 150;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

/** Copies one tick of the fleet's messages into the batch; returns where each message's rows start. */
function fill(messages, batch, starts) {
  batch.clear();
  starts.length = 0;
  for (const m of messages) starts.push(batch.appendMessage(m));
  starts.push(batch.length);
}

function setup(withDetection) {
  const detect = parseConfig({}, { env: {} }).detect;
  const registry = new GpuRegistry();
  let alerts = 0;
  const detection = withDetection ? new Detection(registry, detect, () => alerts++) : undefined;
  const windows = new WindowCore({
    windowsMs: [10_000, 60_000],
    allowedLatenessMs: 5_000,
    initialGpus: RACKS * 72,
    metrics: WINDOW_METRICS,
    onClose: detection ? (w) => detection.onWindow(w) : () => {},
  });
  registry.addStateOwner(windows);
  if (detection) registry.addStateOwner(detection);
  return {
    registry,
    detection,
    windows,
    alerts: () => alerts,
    /** The aggregator's path for one tick: per message, its samples, then a closing pass. */
    run(batch, starts) {
      for (let i = 0; i + 1 < starts.length; i++) {
        for (let row = starts[i]; row < starts[i + 1]; row++) {
          const gpuId = registry.id(batch.cluster[row], batch.rack[row], batch.host[row], batch.gpu[row]);
          detection?.onSample(batch, row, gpuId);
          if (windows.advanceTo(batch.ts[row]) > 0) detection?.onWindowsClosed(windows.watermark);
          windows.add(gpuId, batch.ts[row], batch.values, row * METRIC_COUNT);
        }
      }
      detection?.onTick(batch.ts[0], windows.watermark);
      registry.reclaimIdle(batch.ts[0]);
    },
  };
}

function cpuMs(work) {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function run() {
  const fleet = new Fleet({ cluster: 'bench-ai1', racks: RACKS, seed: 1, startMs: T0 });
  const gpus = fleet.gpuCount;
  const batch = new SampleBatch(gpus);
  const starts = [];
  const windowsOnly = setup(false);
  const full = setup(true);
  const sampleOnly = setup(true);
  const onSampleRun = (b, detect) => {
    for (let row = 0; row < b.length; row++) {
      const gpuId = sampleOnly.registry.id(b.cluster[row], b.rack[row], b.host[row], b.gpu[row]);
      if (detect) sampleOnly.detection.onSample(b, row, gpuId);
    }
  };
  /** Young-generation bytes allocated by one pass of the loop over the batch, right after a collection. */
  const newSpaceUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size;
  const allocatedBy = (detect) => {
    gc();
    const before = newSpaceUsed();
    onSampleRun(batch, detect);
    return newSpaceUsed() - before;
  };
  let tWindows = 0;
  let tFull = 0;
  let tSample = 0;
  let samples = 0;
  const heapPerSample = [];
  for (let t = 0; t < WARMUP_TICKS + TICKS; t++) {
    fill(fleet.tickShared(), batch, starts);
    const measured = t >= WARMUP_TICKS;
    const a = cpuMs(() => windowsOnly.run(batch, starts));
    const b = cpuMs(() => full.run(batch, starts));
    const c = cpuMs(() => onSampleRun(batch, true));
    if (measured && t % 10 === 0) {
      // Less the same loop without onSample: what the measurement itself allocates.
      heapPerSample.push((allocatedBy(true) - allocatedBy(false)) / batch.length);
    }
    if (measured) {
      tWindows += a;
      tFull += b;
      tSample += c;
      samples += batch.length;
    }
  }
  const ns = (ms) => (ms * 1e6) / samples;
  heapPerSample.sort((x, y) => x - y);
  const note = `${gpus} GPUs x ${TICKS} ticks of 1 s after ${WARMUP_TICKS} warm-up ticks, healthy, all detectors on`;
  return [
    {
      name: 'Detection.onSample per GPU-sample',
      value: ns(tSample),
      unit: 'ns',
      note: `${note}; includes GpuRegistry.id`,
    },
    {
      name: 'full detection per GPU-sample (samples, windows, passes)',
      value: ns(tFull - tWindows),
      unit: 'ns',
      note: 'aggregator path with Detection minus the same path without it',
    },
    {
      name: 'aggregator path without detection per GPU-sample',
      value: ns(tWindows),
      unit: 'ns',
      note: 'GpuRegistry.id + WindowCore.advanceTo + add',
    },
    { name: 'detection share of the window path', value: (tFull - tWindows) / tWindows, unit: 'x' },
    {
      name: 'allocated per onSample call',
      value: heapPerSample[heapPerSample.length >> 1],
      unit: 'bytes',
      note: `median over ${heapPerSample.length} ticks of young-generation growth in one pass after a GC, less the loop without onSample`,
    },
    {
      name: 'alerts raised by the healthy fleet',
      value: full.alerts(),
      unit: 'alerts',
      note: `${TICKS + WARMUP_TICKS} s simulated`,
    },
  ];
}
