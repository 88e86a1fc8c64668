import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '@kiln/alerts';
import { parseFault } from '@kiln/simulator';
import { runFleet, T0 } from './fleet-run.js';
import { describeEvent } from './scenario.js';

/** Per-GPU thermal alerts: what an overheating GPU, or every GPU of a rack losing cooling, may raise. */
const GPU_THERMAL = [
  'GpuThermalMarginLow',
  'GpuTemperatureNearSlowdown',
  'GpuTemperatureRising',
  'GpuThermalThrottling',
  'GpuMemoryTemperatureNearLimit',
];

/** A simulator fault and the alert that must find it; `also` lists alerts it may raise besides. */
interface LabelledFault {
  spec: string;
  detector: string | undefined;
  also?: string[];
}

/**
 * The labelled faults of the evaluation run: four racks, two jobs each restarting every 30 min on average,
 * checkpoints every 10 min. Rack r0004 carries no fault: it is idle, with no job and no compute domain, its fabric
 * never completed (a look-alike of a fabric fault). Counter resets are look-alikes: a driver reload is no ECC error
 * (instant, nothing to find), a reload behind a 40 s gap is a silent host. The simulated GB300s report their thermal
 * margin, so an overheating GPU is GpuThermalMarginLow's.
 */
const FAULTS: LabelledFault[] = [
  { spec: 'rack_cooling:r0001@8m+8m', detector: 'RackCoolingFailure', also: GPU_THERMAL },
  { spec: 'overheat:r0002-t03/2@6m+6m', detector: 'GpuThermalMarginLow', also: GPU_THERMAL },
  { spec: 'stall:r0002-t05/1@6m+8m', detector: 'GpuStalled' },
  { spec: 'straggler:r0002-t07/0@6m+10m', detector: 'GpuStraggler' },
  { spec: 'ecc_dbe=2:r0002-t09/3@10m+1m', detector: 'GpuEccDoubleBitErrors' },
  { spec: 'gpu_missing:r0002-t11/1@12m+4m', detector: 'GpuMissing' },
  { spec: 'offline:r0002-t13@14m+4m', detector: 'HostSilent' },
  { spec: 'xid=79:r0002-t15/2@20m', detector: 'GpuXidError' },
  { spec: 'counter_reset:r0002-t17@9m', detector: undefined },
  { spec: 'overheat=1.6:r0003-t02/0@25m+6m', detector: 'GpuThermalMarginLow', also: GPU_THERMAL },
  { spec: 'stall:r0003-t04/3@24m+8m', detector: 'GpuStalled' },
  { spec: 'straggler=0.3:r0003-t06/2@22m+10m', detector: 'GpuStraggler' },
  { spec: 'ecc_dbe:r0003-t08/0@30m', detector: 'GpuEccDoubleBitErrors' },
  { spec: 'gpu_missing:r0003-t10/0@27m+4m', detector: 'GpuMissing' },
  { spec: 'offline:r0003-t12@29m+4m', detector: 'HostSilent' },
  { spec: 'xid=48:r0003-t14/1@33m+5m', detector: 'GpuXidError' },
  { spec: 'counter_reset:r0003-t16@31m+40s', detector: 'HostSilent' },
  { spec: 'nvlink_down=2:r0002-t04/1@15m+5m', detector: 'GpuNvlinkDegraded' },
  { spec: 'fabric_stuck:r0003-t05@12m+10m', detector: 'GpuFabricNotReady' },
  { spec: 'ecc_storm=20:r0003-t07/1@20m+5m', detector: 'GpuCorrectableErrorStorm' },
  { spec: 'idle_rack:r0004@0s', detector: undefined },
];
/** An alert may start this long after its fault ended and still be the fault's (lag, keep_firing_for, cool-down). */
const GRACE_MS = 5 * 60_000;

interface Row {
  detector: string;
  faults: number;
  found: number;
  latenciesS: number[];
  falseAlerts: number;
}

/** Which fault, if any, explains a firing alert: same target, an alert the fault may raise, within its time. */
function explains(f: LabelledFault, e: AlertEvent): boolean {
  const fault = parseFault(f.spec);
  const names = [...(f.detector ? [f.detector] : []), ...(f.also ?? [])];
  if (!names.includes(e.labels.alertname!)) return false;
  const t = e.startsAt - T0;
  if (t < fault.startMs || t > fault.endMs + GRACE_MS) return false;
  if ('rack' in fault) return e.labels.rack === fault.rack;
  if (e.labels.host !== fault.host) return false;
  return !('gpu' in fault) || fault.gpu === undefined || e.labels.gpu === String(fault.gpu);
}

function evaluate(events: AlertEvent[]): { rows: Row[]; unexplained: AlertEvent[] } {
  const firing = events.filter((e) => e.status === 'firing');
  const rows = new Map<string, Row>();
  const row = (detector: string): Row => {
    let r = rows.get(detector);
    if (!r) rows.set(detector, (r = { detector, faults: 0, found: 0, latenciesS: [], falseAlerts: 0 }));
    return r;
  };
  for (const f of FAULTS) {
    if (!f.detector) continue;
    const r = row(f.detector);
    r.faults++;
    const first = firing.find((e) => e.labels.alertname === f.detector && explains(f, e));
    if (first) {
      r.found++;
      r.latenciesS.push((first.startsAt - T0 - parseFault(f.spec).startMs) / 1000);
    }
  }
  const unexplained = firing.filter((e) => !FAULTS.some((f) => explains(f, e)));
  for (const e of unexplained) row(e.labels.alertname!).falseAlerts++;
  return { rows: [...rows.values()], unexplained };
}

function table(rows: Row[]): string {
  const lines = [
    '| detector | faults | found | recall | false alerts | latency s (min / median / max) |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const l = [...r.latenciesS].sort((a, b) => a - b);
    const lat = l.length ? `${l[0]} / ${l[l.length >> 1]} / ${l[l.length - 1]}` : '-';
    lines.push(
      `| ${r.detector} | ${r.faults} | ${r.found} | ${r.faults ? (r.found / r.faults).toFixed(2) : '-'} | ${r.falseAlerts} | ${lat} |`,
    );
  }
  return lines.join('\n');
}

describe('simulated fleet, through WindowCore and Detection', () => {
  it('finds every labelled fault with its own detector, and raises nothing the faults do not explain', () => {
    const run = runFleet({
      racks: 4,
      seconds: 45 * 60,
      seed: 2,
      jobs: { perRack: 2, restartMeanMs: 30 * 60_000 },
      faults: FAULTS.map((f) => f.spec),
      codec: true,
    });
    const { rows, unexplained } = evaluate(run.events);
    console.log(`${run.gpus} GPUs, ${run.samples} samples, ${FAULTS.length} labelled faults\n${table(rows)}`);
    expect(unexplained.map(describeEvent)).toEqual([]);
    for (const r of rows)
      expect({ detector: r.detector, recall: r.found / r.faults }).toEqual({ detector: r.detector, recall: 1 });
    // The rack alert comes no later than the first per-GPU thermal page of its rack, so inhibition can mute them all.
    const firing = run.events.filter((e) => e.status === 'firing' && e.labels.rack === 'r0001');
    const rackAlert = firing.find((e) => e.labels.alertname === 'RackCoolingFailure')!;
    const firstGpuPage = firing.find((e) => GPU_THERMAL.includes(e.labels.alertname!));
    expect(rackAlert.startsAt).toBeLessThanOrEqual(firstGpuPage?.startsAt ?? Infinity);
  });

  it('raises nothing on 1,008 healthy GPUs over a simulated hour of job restarts and checkpoints', () => {
    const run = runFleet({ racks: 14, seconds: 3600, seed: 5, jobs: { perRack: 2, restartMeanMs: 30 * 60_000 } });
    expect(run.gpus).toBe(1008);
    expect(run.events.map(describeEvent)).toEqual([]);
  });
});
