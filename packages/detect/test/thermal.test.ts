import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '@kiln/alerts';
import { detectConfig } from './config.js';
import { METRIC_COUNT, METRIC_ID, SampleBatch } from '@kiln/wire';
import { GpuRegistry } from '@kiln/window';
import { ThermalDetector } from '../src/index.js';

const T0 = 1_764_151_200_000;

/** Feeds one GPU's temperature series (one sample per second) and returns the events with their event time. */
function run(temps: number[], opts: { slowdown?: number; rule?: Record<string, unknown> } = {}) {
  const rule = detectConfig({ thermal: opts.rule ?? {} }).thermal;
  const registry = new GpuRegistry();
  const detector = new ThermalDetector(registry, rule);
  const batch = new SampleBatch(8);
  const events: AlertEvent[] = [];
  temps.forEach((temp, i) => {
    batch.clear();
    const row = batch.length++;
    batch.values.fill(NaN, row * METRIC_COUNT, (row + 1) * METRIC_COUNT);
    batch.ts[row] = batch.eventTs[row] = T0 + i * 1000;
    batch.gpu[row] = 2;
    batch.cluster[row] = 'c1';
    batch.rack[row] = 'r0001';
    batch.host[row] = 'r0001-t07';
    batch.uuid[row] = 'GPU-00000000-0000-0000-0000-000000000002';
    batch.values[row * METRIC_COUNT + METRIC_ID.temp_c] = temp;
    if (opts.slowdown !== undefined) batch.values[row * METRIC_COUNT + METRIC_ID.slowdown_temp_c] = opts.slowdown;
    detector.onSample(batch, row, registry.id('c1', 'r0001', 'r0001-t07', 2), (e) => events.push(e));
  });
  return events;
}

const series = (...parts: [number, number][]): number[] => parts.flatMap(([v, n]) => Array<number>(n).fill(v));

describe('ThermalDetector', () => {
  it('fires after `for` at slowdown − margin and resolves below the hysteresis, with contract labels', () => {
    const events = run(series([70, 5], [83, 15], [81, 5], [79, 3]), { slowdown: 87, rule: { for_ms: 10_000 } });
    expect(
      events.map((e) => [
        e.status,
        (e.startsAt - T0) / 1000,
        e.endsAt === undefined ? undefined : (e.endsAt - T0) / 1000,
      ]),
    ).toEqual([
      ['firing', 15, undefined],
      ['resolved', 15, 25],
    ]);
    expect(events[0]!.labels).toEqual({
      alertname: 'GpuTemperatureNearSlowdown',
      severity: 'critical',
      category: 'thermal',
      cluster: 'c1',
      rack: 'r0001',
      host: 'r0001-t07',
      gpu: '2',
      uuid: 'GPU-00000000-0000-0000-0000-000000000002',
    });
    expect(events[0]!.annotations.summary).toMatch(
      /GPU 2 on r0001-t07 .* 83 °C, 4 °C below its 87 °C slowdown threshold/,
    );
    expect(events[0]!.annotations.threshold).toBe('82');
  });

  it('uses the GPU’s own threshold, else the configured default', () => {
    expect(run(series([80, 20]), { slowdown: 84, rule: { for_ms: 0 } })).toHaveLength(1);
    expect(run(series([80, 20]), { rule: { for_ms: 0 } })).toHaveLength(0); // default 87 − 5 = 82
    expect(run(series([82, 2]), { rule: { for_ms: 0 } })[0]!.annotations.description).toMatch(/configured default/);
  });

  it('does not page for a spike shorter than `for`, nor flap around the threshold', () => {
    expect(run(series([70, 5], [90, 3], [70, 10]), { slowdown: 87, rule: { for_ms: 10_000 } })).toHaveLength(0);
    const hovering = [82, 81.5, 82.2, 81, 82.5, 80.5, 82, 81.2].flatMap((t) => [t, t]);
    expect(run(hovering, { slowdown: 87, rule: { for_ms: 0, hysteresis_c: 2 } }).map((e) => e.status)).toEqual([
      'firing',
    ]);
  });

  it('keeps firing for keep_firing_for after the condition clears', () => {
    const events = run(series([85, 3], [70, 8]), { slowdown: 87, rule: { for_ms: 0, keep_firing_for_ms: 5_000 } });
    expect(
      events.map((e) => [
        e.status,
        (e.startsAt - T0) / 1000,
        e.endsAt === undefined ? undefined : (e.endsAt - T0) / 1000,
      ]),
    ).toEqual([
      ['firing', 0, undefined],
      ['resolved', 0, 8],
    ]);
  });
});
