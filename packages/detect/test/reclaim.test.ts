import { describe, expect, it } from 'vitest';
import { detectConfig } from './config.js';
import { METRIC_COUNT, METRIC_ID, SampleBatch, type MetricName } from '@kiln/wire';
import { PartitionTopology } from '../src/topology.js';
import { DetectionRig } from './rig.js';
import { describeEvent, T0 } from './scenario.js';

const CLUSTER = 'test-ai1';
const RACK = 'r0001';
/** GPUs are forgotten after two minutes of absence here (an hour by default). */
const FORGET_AFTER_MS = 120_000;

/** A GPU in a host slot, reporting from `from` to before `until` (seconds since T0), healthy unless `values` says. */
interface Gpu {
  host: string;
  index: number;
  uuid: string;
  from?: number;
  until?: number;
  values?: (t: number) => Partial<Record<MetricName, number>>;
}

const HEALTHY: Partial<Record<MetricName, number>> = {
  temp_c: 62,
  slowdown_temp_c: 87,
  xid: 0,
  ecc_dbe_vol: 0,
  clock_events: 0,
};

/** Three hosts of four GPUs, every GPU always present, plus `extra` GPUs (each replacing the default of its slot). */
function fleet(extra: Gpu[]): Gpu[] {
  const gpus: Gpu[] = [];
  for (const host of ['r0001-t01', 'r0001-t02', 'r0001-t03']) {
    for (let index = 0; index < 4; index++) {
      if (!extra.some((g) => g.host === host && g.index === index))
        gpus.push({ host, index, uuid: `GPU-${host}-${index}-0000-0000-000000000000` });
    }
  }
  return [...gpus, ...extra];
}

/** Runs the GPUs through the rig, one message per host per second, the wall clock keeping up with event time. */
function run(gpus: Gpu[], seconds: number, atEachSecond?: (t: number, rig: DetectionRig) => void) {
  const rig = new DetectionRig(detectConfig(), FORGET_AFTER_MS);
  const batch = new SampleBatch(8);
  const hosts = [...new Set(gpus.map((g) => g.host))];
  for (let t = 0; t < seconds; t++) {
    const now = T0 + t * 1000;
    for (const host of hosts) {
      batch.clear();
      for (const g of gpus) {
        if (g.host !== host || t < (g.from ?? 0) || t >= (g.until ?? Infinity)) continue;
        const row = batch.length++;
        const values = { ...HEALTHY, ...g.values?.(t) };
        for (let m = 0; m < METRIC_COUNT; m++) batch.values[row * METRIC_COUNT + m] = NaN;
        for (const [name, v] of Object.entries(values))
          batch.values[row * METRIC_COUNT + METRIC_ID[name as MetricName]] = v;
        batch.ts[row] = now;
        batch.gpu[row] = g.index;
        batch.cluster[row] = CLUSTER;
        batch.rack[row] = RACK;
        batch.host[row] = host;
        batch.uuid[row] = g.uuid;
        batch.job[row] = 'train-a';
      }
      if (batch.length > 0) rig.message(batch, 0, now);
    }
    rig.tick(now);
    atEachSecond?.(t, rig);
  }
  return { rig, lines: rig.events.map(describeEvent) };
}

describe('reclaiming the state of GPUs that left', () => {
  it('keeps a pulled GPU’s GpuMissing page firing after its state is reclaimed: reclaiming resolves nothing', () => {
    const pulled: Gpu = { host: 'r0001-t02', index: 1, uuid: 'GPU-pulled-0000-0000-0000-000000000000', until: 60 };
    const { rig, lines } = run(fleet([pulled]), 8 * 60);
    expect(lines).toEqual(['1m35s firing GpuMissing r0001-t02/1']);
    expect(rig.events[0]!.labels.uuid).toBe(pulled.uuid);
    expect(rig.forgotten).toBe(1);
    expect(rig.registry.size).toBe(11);
  });

  it('gives a GPU that comes back its alerts again: GpuMissing resolves once it reports', () => {
    const uuid = 'GPU-back-00000-0000-0000-000000000000';
    const before: Gpu = { host: 'r0001-t02', index: 1, uuid, until: 60 };
    const after: Gpu = { host: 'r0001-t02', index: 1, uuid, from: 300 };
    const { rig, lines } = run(fleet([before, after]), 8 * 60);
    expect(rig.forgotten).toBe(1);
    expect(lines).toEqual(['1m35s firing GpuMissing r0001-t02/1', '5m5s resolved GpuMissing r0001-t02/1']);
  });

  it('does not take a replacement GPU in the same slot for the old one: the old page stays, the new GPU has none', () => {
    const old: Gpu = { host: 'r0001-t02', index: 1, uuid: 'GPU-old-000000-0000-0000-000000000000', until: 60 };
    const replacement: Gpu = { host: 'r0001-t02', index: 1, uuid: 'GPU-new-000000-0000-0000-000000000000', from: 300 };
    const { rig, lines } = run(fleet([old, replacement]), 8 * 60);
    expect(rig.forgotten).toBe(1);
    expect(lines).toEqual(['1m35s firing GpuMissing r0001-t02/1']);
    expect(rig.events[0]!.labels.uuid).toBe(old.uuid);
  });

  it('lets the GPU that takes a forgotten GPU’s id inherit nothing: no counter baseline, no alert, no resolution of its alerts', () => {
    // The GPU that leaves had a fatal Xid (firing) and 5 double-bit errors on its counter.
    const leaving: Gpu = {
      host: 'r0001-t02',
      index: 1,
      uuid: 'GPU-leaving-00-0000-0000-000000000000',
      until: 60,
      values: (t) => ({ ecc_dbe_vol: 5, xid: t >= 30 ? 79 : 0 }),
    };
    // A GPU on a new host, once the first is forgotten: its counter reads 7 from the start, its Xid is clear.
    const arriving: Gpu = {
      host: 'r0001-t04',
      index: 0,
      uuid: 'GPU-arriving-0-0000-0000-000000000000',
      from: 300,
      values: () => ({ ecc_dbe_vol: 7 }),
    };
    let leavingId = -1;
    let arrivingId = -2;
    const { rig, lines } = run(fleet([leaving, arriving]), 8 * 60, (t, r) => {
      if (t === 59) leavingId = r.registry.id(CLUSTER, RACK, leaving.host, leaving.index);
      if (t === 300) arrivingId = r.registry.id(CLUSTER, RACK, arriving.host, arriving.index);
    });
    expect(arrivingId).toBe(leavingId);
    // Had the id kept the old baseline, 7 after 5 would be two new errors; had it kept the alerts, the clear Xid would
    // resolve the old GPU's page.
    expect(lines).toEqual(['30s firing GpuXidError r0001-t02/1', '1m35s firing GpuMissing r0001-t02/1']);
    expect(rig.forgotten).toBe(1);
  });

  it('forgets nothing of GPUs that go on reporting, over more than the horizon', () => {
    const { rig, lines } = run(fleet([]), 6 * 60);
    expect(lines).toEqual([]);
    expect(rig.forgotten).toBe(0);
    expect(rig.registry.size).toBe(12);
  });
});

describe('peer groups of jobs', () => {
  it('are freed once no GPU runs the job, so job churn leaves nothing behind', () => {
    const topology = new PartitionTopology();
    const batch = new SampleBatch(8);
    const sample = (gpu: number, job: string): void => {
      batch.clear();
      const row = batch.length++;
      batch.cluster[row] = CLUSTER;
      batch.rack[row] = RACK;
      batch.host[row] = `${RACK}-t01`;
      batch.gpu[row] = gpu;
      batch.uuid[row] = `GPU-${gpu}`;
      batch.job[row] = job;
      batch.ts[row] = T0;
      topology.observe(batch, row, gpu);
    };
    for (let run = 0; run < 100; run++) for (let gpu = 0; gpu < 4; gpu++) sample(gpu, `job-${run}`);
    // The rack's own group and the job running now; every finished job's group was given to the next.
    expect(topology.groupCount).toBe(3);
    expect(topology.groupName[topology.groupOf[0]!]).toBe('job-99');
    expect(new Set([0, 1, 2, 3].map((g) => topology.groupOf[g])).size).toBe(1);
    // A forgotten GPU leaves its group; the last one out frees it.
    for (let gpu = 0; gpu < 4; gpu++) topology.forgetGpu(gpu);
    sample(0, 'job-next');
    expect(topology.groupCount).toBe(3);
    expect(topology.describeGroup(topology.groupOf[0]!)).toBe('job job-next');
  });
});
