import type { Category, Severity } from '@kiln/alerts';
import { ClockEvent, METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import { grownCapacity, resized, type GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack, type RuleTiming } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, gpuPlace, hex } from './format.js';

const CLOCK_EVENTS = METRIC_ID.clock_events;

const BIT_NAMES: readonly [number, string][] = [
  [ClockEvent.SW_POWER_CAP, 'SW power cap'],
  [ClockEvent.HW_SLOWDOWN, 'HW slowdown'],
  [ClockEvent.SYNC_BOOST, 'sync boost'],
  [ClockEvent.SW_THERMAL, 'SW thermal slowdown'],
  [ClockEvent.HW_THERMAL, 'HW thermal slowdown'],
  [ClockEvent.HW_POWER_BRAKE, 'HW power brake'],
];

/** The reasons named in a bitmask, for alert text. */
export function clockEventNames(events: number): string {
  const names = BIT_NAMES.filter(([bit]) => (events & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(', ') : 'none';
}

export interface ClockEventSpec {
  readonly alertname: string;
  readonly name: string;
  readonly category: Category;
  /** What the bits mean for the person on call. */
  readonly meaning: string;
}

export interface ClockEventRule extends RuleTiming {
  readonly mask: number;
  readonly severity: Severity;
}

/**
 * A GPU whose clock_events carries any bit of `mask` for `for_ms`: sustained thermal slowdown (SW 0x20, HW 0x40) or HW
 * power brake (0x80). Judged on every sample; a sample without clock_events is no judgement.
 */
export class ClockEventDetector implements Detector {
  readonly name: string;
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  /** Event time the current run of set bits began, per GPU (NaN when not set). */
  private since = new Float64Array(64).fill(NaN);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: ClockEventRule,
    private readonly spec: ClockEventSpec,
  ) {
    this.name = spec.name;
    this.track = new AlertTrack(spec.alertname, rule);
    this.tracks = [this.track];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const events = batch.values[row * METRIC_COUNT + CLOCK_EVENTS]!;
    if (events !== events) return;
    const ts = batch.eventTs[row]!;
    if ((events & this.rule.mask) === 0) {
      if (this.track.engaged(gpuId)) this.track.clear(gpuId, ts, emit);
      return;
    }
    if (gpuId >= this.since.length) this.grow(gpuId + 1);
    // Not held before, or taken up after a restart without its start: held from now.
    if (!this.track.held(gpuId) || this.since[gpuId] !== this.since[gpuId]) this.since[gpuId] = ts;
    const labels = gpuAlertLabels(
      this.registry,
      gpuId,
      batch.uuid[row]!,
      this.spec.alertname,
      this.rule.severity,
      this.spec.category,
    );
    const held = ts - this.since[gpuId]!;
    this.track.observe(
      gpuId,
      true,
      ts,
      labels,
      {
        summary: `${gpuPlace(labels)}: ${clockEventNames(events & this.rule.mask)} for ${duration(held)}`,
        description:
          `clock_events=${hex(events)} (${clockEventNames(events)}) has carried a bit of ${hex(this.rule.mask)} since ` +
          `${new Date(this.since[gpuId]!).toISOString()}. ${this.spec.meaning}`,
        value: hex(events),
        mask: hex(this.rule.mask),
        held_for_s: String(Math.round(held / 1000)),
      },
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }

  forgetGpu(gpuId: number): void {
    if (gpuId < this.since.length) this.since[gpuId] = NaN;
  }

  private grow(n: number): void {
    this.since = resized(this.since, grownCapacity(this.since.length, n), NaN);
  }
}

export const THERMAL_THROTTLE_SPEC: ClockEventSpec = {
  alertname: 'GpuThermalThrottling',
  name: 'thermal_throttle',
  category: 'thermal',
  meaning:
    'The GPU is cutting its clocks to stay within its temperature limits (HW thermal: at least a 2x cut); its job runs slower.',
};

export const POWER_BRAKE_SPEC: ClockEventSpec = {
  alertname: 'GpuPowerBrakeSlowdown',
  name: 'power_brake',
  category: 'hardware',
  meaning:
    'An external power-brake signal (power shelf or PSU) has cut the clocks at least 2x: a facility or power-supply problem.',
};
