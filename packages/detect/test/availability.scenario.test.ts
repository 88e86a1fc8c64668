import { describe, expect, it } from 'vitest';
import { detectConfig } from './config.js';
import { Fleet, parseFaults } from '@kiln/simulator';
import { SampleBatch, type WireMessage } from '@kiln/wire';
import { DetectionRig } from './rig.js';
import { describeEvent, expectAlerts, runScenario } from './scenario.js';

describe('availability detectors', () => {
  it('pages a host that stops sending while its rack goes on, not its GPUs one by one, and resolves when it is back', () => {
    // Silent from 120 s to 299 s. Judged on each closing pass: 36 s behind its rack at the pass of 155 s.
    const result = runScenario({ duration: '7m', series: { 'r0001-t04': { present: '1x119 0x179 1' } } });
    expectAlerts(result, ['2m35s firing HostSilent r0001-t04', '5m5s resolved HostSilent r0001-t04']);
    expect(result.events[0]!.labels).toEqual({
      alertname: 'HostSilent',
      severity: 'critical',
      category: 'availability',
      cluster: 'test-ai1',
      rack: 'r0001',
      host: 'r0001-t04',
    });
    expect(result.events[0]!.annotations).toMatchObject({ last_seen: '2026-01-15T00:01:59.000Z', silent_for_s: '36' });
  });

  it('detects the same silent host in a replay as fast as possible', () => {
    const series = { 'r0001-t04': { present: '1x119 0x179 1' } };
    expect(runScenario({ duration: '7m', replay: true, series }).lines).toEqual(
      runScenario({ duration: '7m', series }).lines,
    );
  });

  it('pages a GPU missing from its host’s messages', () => {
    const result = runScenario({ duration: '7m', series: { 'r0001-t06/3': { present: '1x99 0x199 1' } } });
    expectAlerts(result, ['2m14s firing GpuMissing r0001-t06/3', '5m4s resolved GpuMissing r0001-t06/3']);
    expect(result.events[0]!.labels.uuid).toMatch(/^GPU-/);
  });

  it('raises one alert, in wall-clock time, when the whole partition goes silent; no host or GPU alerts', () => {
    const result = runScenario({ duration: '7m', series: { '*': { present: '1x119 0x179 1' } } });
    // Last samples at 119 s; a minute of wall clock without any; samples again at 300 s.
    expectAlerts(result, ['2m59s firing PartitionSilent r0001', '5m resolved PartitionSilent r0001']);
    expect(result.events[0]!.labels).toEqual({
      alertname: 'PartitionSilent',
      severity: 'critical',
      category: 'availability',
      cluster: 'test-ai1',
      rack: 'r0001',
    });
    // The same when the stream simply stops, with event time frozen.
    expectAlerts(runScenario({ duration: '2m', wallOnlyAfter: '3m' }), ['2m59s firing PartitionSilent r0001']);
    // A replay that is merely fast is not silent.
    expectAlerts(runScenario({ duration: '7m', replay: true }), []);
  });

  it('names every rack of a partition with several as one alert', () => {
    const result = runScenario({ duration: '2m', racks: 3, wallOnlyAfter: '2m' });
    expectAlerts(result, ['2m59s firing PartitionSilent *']);
    expect(result.events[0]!.annotations.racks).toBe('test-ai1/r0001, test-ai1/r0002, test-ai1/r0003');
  });

  it('pages a rack gone silent while the partition’s other racks go on, once, not per host', () => {
    const result = runScenario({ duration: '7m', racks: 2, series: { r0002: { present: '1x119 0x179 1' } } });
    expectAlerts(result, ['3m5s firing RackSilent r0002', '5m5s resolved RackSilent r0002']);
    expect(result.events[0]!.labels).toEqual({
      alertname: 'RackSilent',
      severity: 'critical',
      category: 'availability',
      cluster: 'test-ai1',
      rack: 'r0002',
    });
  });

  it('does not let one host with a clock running ahead make the rest of its rack look silent', () => {
    expectAlerts(runScenario({ duration: '5m', clockSkew: { 'r0001-t09': '2m' } }), []);
  });
});

describe('absence after an outage of the whole partition', () => {
  it('pages none of the hosts that come back one by one after NATS was away 30 s, and one that does not come back', () => {
    // One rack whose tray 18 dies with the outage. Live before and after: the wall clock is event time.
    const T = Date.UTC(2026, 0, 15);
    const fleet = new Fleet({
      cluster: 'outage-ai1',
      racks: 1,
      seed: 4,
      startMs: T,
      faults: parseFaults(['offline:r0001-t18@60s']),
    });
    const rig = new DetectionRig(detectConfig());
    const batch = new SampleBatch(8);
    const send = (messages: readonly WireMessage[], wallMs: number) => {
      for (const m of messages) {
        batch.clear();
        batch.appendMessage(m);
        rig.message(batch, 0, wallMs);
      }
    };
    // 60 s live; then NATS is away 30 s: every agent spools.
    for (let t = 0; t < 60; t++) {
      send(fleet.tick(T + t * 1000), T + t * 1000);
      rig.tick(T + t * 1000);
    }
    const spools = new Map<string, WireMessage[]>();
    for (let t = 60; t < 90; t++)
      for (const m of fleet.tick(T + t * 1000)) spools.set(m.host, [...(spools.get(m.host) ?? []), m]);
    for (let w = 60_000; w < 90_000; w += 100) rig.tick(T + w);
    // Back at 90 s: each agent reconnects in turn, 300 ms apart, replays its spool, then sends live ticks.
    const hosts = [...spools.keys()];
    for (let t = 90; t < 180; t++) {
      const wall = T + t * 1000;
      const live = fleet.tick(wall);
      hosts.forEach((host, i) => {
        const back = wall >= T + 90_000 + i * 300;
        if (!back) return;
        const spooled = spools.get(host);
        if (spooled) {
          send(spooled, wall);
          spools.delete(host);
        }
        send(
          live.filter((m) => m.host === host),
          wall,
        );
      });
      rig.tick(wall);
    }
    expect(rig.events.filter((e) => e.status === 'firing').map(describeEvent)).toEqual([
      '2m5s firing HostSilent r0001-t18',
    ]);
  });
});
