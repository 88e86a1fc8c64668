import { describe, expect, it } from 'vitest';
import { fingerprint, type AlertEvent } from '@kiln/alerts';
import { detectConfig } from './config.js';
import { Fleet, parseFaults } from '@kiln/simulator';
import { SampleBatch } from '@kiln/wire';
import { DetectionRig } from './rig.js';
import { describeEvent, T0 } from './scenario.js';

const FAULTS = [
  'overheat:r0001-t03/1@1m+5m', // per-sample thermal alerts, and a window-judged one
  'xid=79:r0001-t09@2m+4m', // all four GPUs of a tray: a tray alert and its GPUs'
  'offline:r0001-t12@2m+4m', // HostSilent
  'gpu_missing:r0001-t15/2@2m+4m', // GpuMissing
  'stall:r0001-t17/0@1m+6m', // GpuStalled (window-judged)
];

/** Runs the fleet for `seconds`, restarting the partition's analysis at `restartAtS` (a new rig, its firing alerts restored). */
function run(seconds: number, restartAtS?: number): { before: AlertEvent[]; after: AlertEvent[]; open: AlertEvent[] } {
  const fleet = new Fleet({ cluster: 'restart-ai1', racks: 1, seed: 9, startMs: T0, faults: parseFaults(FAULTS) });
  const detect = detectConfig();
  let rig = new DetectionRig(detect);
  let before: AlertEvent[] = [];
  let open: AlertEvent[] = [];
  const batch = new SampleBatch(8);
  for (let t = 0; t < seconds; t++) {
    if (t === restartAtS) {
      before = rig.events;
      // What the aggregator's episode journal holds: the last event of each alert, where it fires.
      const last = new Map<string, AlertEvent>();
      for (const e of before) last.set(fingerprint(e.labels), e);
      open = [...last.values()].filter((e) => e.status === 'firing');
      rig = new DetectionRig(detect);
      expect(rig.detection.restore(open)).toEqual([]);
    }
    const now = T0 + t * 1000;
    for (const m of fleet.tick()) {
      batch.clear();
      batch.appendMessage(m);
      rig.message(batch, 0, now);
    }
    rig.tick(now);
  }
  return restartAtS === undefined ? { before: rig.events, after: [], open: [] } : { before, after: rig.events, open };
}

describe('restarting a partition mid-incident', () => {
  it('carries every firing alert on: nothing fires again, each resolves with the startsAt its receivers heard', () => {
    const whole = run(14 * 60).before;
    const { before, after, open } = run(14 * 60, 4 * 60);
    const names = new Set(open.map((e) => `${e.labels.alertname}${e.labels.gpu === undefined ? ' tray/host' : ''}`));
    // Every kind of episode is open at the restart: thermal (the simulated GB300 reports its margin too), a tray and its
    // GPUs, a silent host, a missing GPU, a stall.
    expect([...names].sort()).toEqual(
      [
        'GpuMissing',
        'GpuStalled',
        'GpuTemperatureNearSlowdown',
        'GpuThermalMarginLow',
        'GpuThermalThrottling',
        'GpuXidError',
        'GpuXidError tray/host',
        'HostSilent tray/host',
      ].sort(),
    );
    const openFps = new Set(open.map((e) => fingerprint(e.labels)));
    expect(after.filter((e) => e.status === 'firing' && openFps.has(fingerprint(e.labels))).map(describeEvent)).toEqual(
      [],
    );
    for (const e of open) {
      const resolved = after.find((r) => r.status === 'resolved' && fingerprint(r.labels) === fingerprint(e.labels));
      expect(
        resolved,
        `${describeEvent(e)} resolves after the restart; after: ${after.map(describeEvent).join(', ')}`,
      ).toBeDefined();
      expect(resolved!.startsAt).toBe(e.startsAt);
    }
    // And the same alerts as living through it without a restart.
    const episodes = (events: AlertEvent[]) =>
      [
        ...new Set(events.filter((e) => e.status === 'firing').map((e) => `${fingerprint(e.labels)}@${e.startsAt}`)),
      ].sort();
    expect(episodes([...before, ...after])).toEqual(episodes(whole));
  });
});
