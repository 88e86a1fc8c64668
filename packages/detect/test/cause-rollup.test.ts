import { describe, expect, it } from 'vitest';
import { detectConfig } from './config.js';
import { Fleet, parseFaults } from '@kiln/simulator';
import { SampleBatch } from '@kiln/wire';
import { DetectionRig } from './rig.js';
import { describeEvent, linesOf, runScenario } from './scenario.js';

/** One cause, one page for a compute tray (CauseRollup): the alerter receives the tray's alert before any of its GPUs'. */
describe('tray roll-up', () => {
  // A GPU heating past its threshold (slowdown 87 °C − 5) from its own minute on, then cooling at 5 min.
  const heat = (startS: number) => ({ temp_c: `70x${startS} 70+1x15 85x${240 - startS} 70` });

  it('raises one alert for a tray whose four GPUs fail the same way seconds apart, emitted before theirs', () => {
    const result = runScenario({
      duration: '8m',
      series: { 'r0001-t07/0': heat(60), 'r0001-t07/1': heat(63), 'r0001-t07/2': heat(66), 'r0001-t07/3': heat(70) },
    });
    const tray = linesOf(result, 'GpuTemperatureNearSlowdown').filter((l) => !l.includes('/'));
    expect(tray).toEqual([
      '1m33s firing GpuTemperatureNearSlowdown r0001-t07',
      '4m18s resolved GpuTemperatureNearSlowdown r0001-t07',
    ]);
    const firstFiring = result.emitted.findIndex((l) => l.includes(' firing '));
    expect(result.emitted[firstFiring]).toBe('1m33s firing GpuTemperatureNearSlowdown r0001-t07');
    // The GPUs' own alerts (muted by the tray's at the alerter) follow it; each keeps the time it fired.
    expect(result.emitted.slice(firstFiring + 1, firstFiring + 5).sort()).toEqual([
      '1m23s firing GpuTemperatureNearSlowdown r0001-t07/0',
      '1m26s firing GpuTemperatureNearSlowdown r0001-t07/1',
      '1m29s firing GpuTemperatureNearSlowdown r0001-t07/2',
      '1m33s firing GpuTemperatureNearSlowdown r0001-t07/3',
    ]);
    const alert = result.events.find((e) => e.labels.gpu === undefined)!;
    expect(alert.labels).toEqual({
      alertname: 'GpuTemperatureNearSlowdown',
      severity: 'critical',
      category: 'thermal',
      cluster: 'test-ai1',
      rack: 'r0001',
      host: 'r0001-t07',
    });
    expect(alert.annotations.gpus).toBe('0,1,2,3');
    expect(alert.annotations.summary).toMatch(
      /^All 4 GPUs of tray r0001-t07 \(rack r0001, test-ai1\): GPU 0 on r0001-t07/,
    );
  });

  it('pages one hot GPU at once when its tray-mates are healthy, and three without a tray alert', () => {
    const one = runScenario({ duration: '8m', series: { 'r0001-t07/2': heat(60) } });
    expect(linesOf(one, 'GpuTemperatureNearSlowdown')).toEqual([
      '1m23s firing GpuTemperatureNearSlowdown r0001-t07/2',
      '4m18s resolved GpuTemperatureNearSlowdown r0001-t07/2',
    ]);
    expect(one.emitted[0]).toBe('1m23s firing GpuTemperatureNearSlowdown r0001-t07/2');
    const three = runScenario({
      duration: '8m',
      series: { 'r0001-t07/0': heat(60), 'r0001-t07/1': heat(62), 'r0001-t07/2': heat(64) },
    });
    expect(linesOf(three, 'GpuTemperatureNearSlowdown').filter((l) => !l.includes('/'))).toEqual([]);
    // Held while a tray-mate was pending, then out together once none was.
    expect(three.emitted.filter((l) => l.includes(' firing GpuTemperatureNearSlowdown'))).toEqual([
      '1m23s firing GpuTemperatureNearSlowdown r0001-t07/0',
      '1m25s firing GpuTemperatureNearSlowdown r0001-t07/1',
      '1m27s firing GpuTemperatureNearSlowdown r0001-t07/2',
    ]);
  });
});

/** One cause, one page for a rack losing its coolant: the alerter receives the rack's alert before any thermal alert of its GPUs. */
describe('rack cooling covers its thermal alerts', () => {
  it("emits RackCoolingFailure before any thermal alert of the rack, whatever the fleet and the fault's phase", () => {
    const runs: string[] = [];
    for (const seed of [1, 2, 3, 4]) {
      for (const phaseS of [0, 4, 7]) {
        // A fresh partition (no window history yet, as after a restart) and the coolant of rack 2 failing 20 s in.
        const T0 = Date.UTC(2026, 0, 15) + phaseS * 1000;
        const fleet = new Fleet({
          cluster: 'cool-ai1',
          racks: 3,
          seed,
          startMs: T0,
          faults: parseFaults(['rack_cooling:r0002@20s']),
        });
        const rig = new DetectionRig(detectConfig());
        const batch = new SampleBatch(8);
        for (let t = 0; t < 240; t++) {
          const now = T0 + t * 1000;
          for (const m of fleet.tick(now)) {
            batch.clear();
            batch.appendMessage(m);
            rig.message(batch, 0, now);
          }
          rig.tick(now);
        }
        const firing = rig.events.filter((e) => e.status === 'firing' && e.labels.rack === 'r0002');
        runs.push(
          `seed ${seed} +${phaseS}s: ${firing.slice(0, 1).map(describeEvent).join('')} (${firing.length} firing)`,
        );
        expect(firing.length, runs.at(-1)).toBeGreaterThan(1); // its GPUs' thermal alerts fire too (muted at the alerter)
      }
    }
    expect(runs.filter((r) => !/: \S+ firing RackCoolingFailure r0002 /.test(r))).toEqual([]);
  });
});
