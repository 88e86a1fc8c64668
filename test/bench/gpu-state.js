// Memory of the aggregator's state per tracked GPU, and the cost of reclaiming the state of GPUs that left the fleet.
// A healthy 100,008-GPU fleet (1,389 GB300 NVL72 racks, one training job per rack) goes through the parts the
// aggregator keeps per GPU, wired as it wires them: GpuRegistry, LatestSample, WindowCore (10 s + 1 min windows of
// Detection's WINDOW_METRICS) and Detection (every detector), the registry forgetting GPUs for all of them. The first
// tick goes through the wire codec, so the strings the state keeps are the decoder's, as in production; 20 s of ticks
// close windows and run closing passes.
//   layout    typed-array bytes each part holds, per tracked GPU (capacity included: growth leaves up to 25 % slack);
//   measured  V8 heap plus array buffers with the state, less the same once the state is dropped (after forced
//             collections), per tracked GPU: everything, maps and strings included.
// Reclaim: GpuRegistry.reclaimIdle looking over 100,008 GPUs with nothing to forget (CPU time and bytes allocated per
// call), then forgetting a tenth of them (racks that stopped reporting) through every state owner, and the ids the next
// new GPUs get.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseConfig } from '@kiln/config';
import { Detection, WINDOW_METRICS } from '@kiln/detect';
import { LatestSample } from '@kiln/ingest';
import { Fleet } from '@kiln/simulator';
import {
  DecodeStats,
  DEFAULT_DECODE_LIMITS,
  decodeMessage,
  encodeMessage,
  gpuSubject,
  METRIC_COUNT,
  SampleBatch,
} from '@kiln/wire';
import { PartitionAnalysis, WindowCore } from '@kiln/window';

const RACKS = 1389;
const TICKS = 20;
const T0 = Date.UTC(2026, 0, 15);
const HORIZON_MS = 3_600_000;
const SCANS = 50;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function heapAndBuffers() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes of the typed arrays reachable from `root` through plain fields, each counted once, none of `seen`. */
function typedArrayBytes(root, seen) {
  if (root === null || typeof root !== 'object' || seen.has(root)) return 0;
  seen.add(root);
  if (ArrayBuffer.isView(root)) return root.byteLength;
  if (root instanceof Map || root instanceof Set || typeof root === 'function') return 0;
  let bytes = 0;
  for (const value of Object.values(root)) bytes += typedArrayBytes(value, seen);
  return bytes;
}

const newSpaceUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size;

/** Young-generation bytes `work` allocates, right after a collection. */
function allocatedBy(work) {
  gc();
  const before = newSpaceUsed();
  work();
  return newSpaceUsed() - before;
}

function cpuMs(work) {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The aggregator's per-GPU state, as @kiln/ingest builds it for each partition. */
function aggregatorState(config) {
  const alerts = [];
  const { aggregator, detect } = config;
  const windowing = {
    forgetGpuAfterMs: aggregator.forget_gpu_after_ms,
    allowedLatenessMs: aggregator.allowed_lateness_ms,
    windowsMs: aggregator.windows_ms,
    metrics: WINDOW_METRICS,
  };
  const analysis = new PartitionAnalysis(
    windowing,
    (registry) => new Detection(registry, detect, (e) => alerts.push(e)),
  );
  const latest = new LatestSample();
  analysis.registry.addStateOwner(latest);
  const { registry, windows, analyser: detection } = analysis;
  return { analysis, registry, latest, windows, detection, alerts };
}

/** TICKS seconds of the fleet through the state, the aggregator's path; the first tick through the wire codec. */
function feed(state, fleet, batch) {
  const { analysis, registry, latest, detection } = state;
  const stats = new DecodeStats();
  const encoder = new TextEncoder();
  for (let t = 0; t < TICKS; t++) {
    const now = fleet.nextTs;
    batch.clear();
    for (const m of fleet.tickShared()) {
      if (t === 0)
        decodeMessage(
          gpuSubject(m.cluster, m.rack, m.host),
          encoder.encode(encodeMessage(m)),
          now,
          DEFAULT_DECODE_LIMITS,
          batch,
          stats,
          0,
        );
      else batch.appendMessage(m);
    }
    analysis.arrived(now);
    for (let row = 0; row < batch.length; row++) {
      const id = registry.id(batch.cluster[row], batch.rack[row], batch.host[row], batch.gpu[row]);
      latest.advance(id, batch.ts[row]);
      analysis.analyse(batch, row, id);
    }
    registry.reclaimIdle(detection.newestEventMs);
  }
}

/** Typed-array bytes of each part alone (the others, which some parts refer to, not counted in it), per GPU. */
function layoutOf(state, gpus) {
  const parts = { registry: state.registry, latest: state.latest, windows: state.windows, detection: state.detection };
  const others = (part) => new Set(Object.values(parts).filter((p) => p !== part));
  return Object.fromEntries(
    Object.entries(parts).map(([name, part]) => [name, typedArrayBytes(part, others(part)) / gpus]),
  );
}

/**
 * reclaimIdle's cost with nothing to forget (every GPU's sample arrives between two calls, as in a live partition;
 * calls closer together than 1/64 of the horizon return at once, so each call here looks over every GPU), what it
 * allocates, and the cost of forgetting a tenth of the fleet (racks that stopped reporting while the rest go on).
 */
function reclaimFigures(state, fleet, batch) {
  const { registry, detection } = state;
  batch.clear();
  for (const m of fleet.tickShared()) batch.appendMessage(m);
  const arrive = (from) => {
    for (let row = from; row < batch.length; row++)
      registry.id(batch.cluster[row], batch.rack[row], batch.host[row], batch.gpu[row]);
  };
  const step = HORIZON_MS / 64;
  let now = detection.newestEventMs;
  let scanMs = 0;
  let forgottenIdle = 0;
  for (let i = 0; i < SCANS; i++) {
    arrive(0);
    now += step;
    scanMs += cpuMs(() => (forgottenIdle += registry.reclaimIdle(now)));
  }
  // Allocation: young-generation growth over one call right after a collection, less the same measurement around no
  // call; calls with nothing arriving in between, all within one horizon (nothing to forget either).
  const idleCalls = 48;
  const allocated = [];
  for (let i = 0; i < idleCalls; i++) {
    const at = (now += step);
    allocated.push(allocatedBy(() => (forgottenIdle += registry.reclaimIdle(at))) - allocatedBy(() => {}));
  }
  // A tenth of the racks stop reporting; the rest go on arriving. The first call past the horizon forgets the silent.
  const leaving = Math.floor(RACKS / 10) * 72;
  let forgotten = 0;
  let forgetMs = 0;
  while (forgotten === 0) {
    arrive(leaving);
    now += step;
    forgetMs = cpuMs(() => (forgotten = registry.reclaimIdle(now)));
  }
  const spanBefore = registry.idSpan;
  // New GPUs (other hosts) take the freed ids: the state does not grow.
  for (let row = 0; row < leaving; row++)
    registry.id(batch.cluster[row], batch.rack[row], `new-${batch.host[row]}`, batch.gpu[row]);
  return {
    scanUs: (scanMs * 1000) / SCANS,
    forgottenIdle,
    allocatedPerCall: allocated.sort((a, b) => a - b)[idleCalls >> 1],
    idleCalls,
    forgetUs: (forgetMs * 1000) / forgotten,
    forgotten,
    newGpus: leaving,
    spanBefore,
    spanAfter: registry.idSpan,
  };
}

export async function run() {
  const config = parseConfig({ aggregator: { forget_gpu_after_ms: HORIZON_MS } }, { env: {} });
  const fleet = new Fleet({ cluster: 'bench-ai1', racks: RACKS, seed: 3, startMs: T0 });
  const gpus = fleet.gpuCount;
  const batch = new SampleBatch(gpus + 8);
  let state = aggregatorState(config);
  feed(state, fleet, batch);
  batch.clear();
  const withState = heapAndBuffers();
  const layout = layoutOf(state, gpus);
  const layoutTotal = Object.values(layout).reduce((a, b) => a + b, 0);
  const formula = state.windows.bytesPerGpu;
  const alerts = state.alerts.length;
  const reclaim = reclaimFigures(state, fleet, batch);
  state = undefined;
  batch.clear();
  const measured = (withState - heapAndBuffers()) / gpus;
  const allMetrics = new WindowCore({
    windowsMs: config.aggregator.windows_ms,
    allowedLatenessMs: 5_000,
    onClose: () => {},
  }).bytesPerGpu;
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  return [
    {
      name: 'aggregator state per tracked GPU, measured',
      value: measured,
      unit: 'bytes',
      note: `heap + array buffers, ${fmt(gpus)} healthy GPUs after ${TICKS} s (${alerts} alerts); goal <= 2048`,
    },
    {
      name: 'aggregator state per tracked GPU, layout',
      value: layoutTotal,
      unit: 'bytes',
      note: 'typed arrays at capacity (growth slack included)',
    },
    {
      name: '  GpuRegistry, layout',
      value: layout.registry,
      unit: 'bytes',
      note: 'names once per host, in maps and strings (in measured)',
    },
    { name: '  LatestSample, layout', value: layout.latest, unit: 'bytes' },
    {
      name: '  WindowCore, layout',
      value: layout.windows,
      unit: 'bytes',
      note: `${WINDOW_METRICS.length} metrics; ${formula} B/GPU by formula; ${allMetrics} B with all ${METRIC_COUNT} metrics`,
    },
    {
      name: '  Detection, layout',
      value: layout.detection,
      unit: 'bytes',
      note: 'typed arrays; uuids, job and host names in measured',
    },
    {
      name: 'reclaimIdle with nothing to forget',
      value: reclaim.scanUs,
      unit: 'CPU-us/call',
      note: `${fmt(gpus)} GPUs looked over; at most 64 looks per horizon (1 h); ${reclaim.forgottenIdle} forgotten`,
    },
    {
      name: 'reclaimIdle allocation with nothing to forget',
      value: reclaim.allocatedPerCall,
      unit: 'bytes/call',
      note: `median over ${reclaim.idleCalls} calls of young-generation growth, less the measurement's own`,
    },
    {
      name: 'forgetting a GPU (registry, windows, latest, detection)',
      value: reclaim.forgetUs,
      unit: 'CPU-us/GPU',
      note: `${fmt(reclaim.forgotten)} of ${fmt(gpus)} in one call; after ${fmt(reclaim.newGpus)} new GPUs the ids span ${fmt(reclaim.spanAfter)} (was ${fmt(reclaim.spanBefore)})`,
    },
  ];
}
