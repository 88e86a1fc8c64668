import type { Annotations, Labels, Severity } from '@kiln/alerts';
import type { HbmTemperatureRule, ThermalRule } from './rules/thermal.js';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { fmt, gpuPlace } from './format.js';

/** A rule's thresholds, whatever the temperature it watches. */
export interface TemperatureLimitRule {
  readonly for_ms: number;
  readonly keep_firing_for_ms: number;
  readonly margin_c: number;
  readonly hysteresis_c: number;
  readonly severity: Severity;
  /** Used when the GPU reports no limit. */
  readonly defaultLimitC: number;
}

/** Which temperature is held against which of the GPU's own limits, and how the alert names them. */
export interface TemperatureLimitSpec {
  readonly alertname: string;
  readonly name: string;
  readonly valueMetric: number;
  readonly limitMetric: number;
  /** "GPU 2 on … is at", "HBM of GPU 2 on … is at". */
  readonly subject: (place: string) => string;
  readonly limitName: string;
  readonly consequence: string;
  /** A GPU that reports this metric but not limitMetric is judged by another rule instead (GpuThermalMarginLow for temp_margin_c). */
  readonly judgedElsewhereBy?: number;
}

/**
 * A temperature at or above the GPU's own reported limit minus a margin (or a configured default limit when the GPU
 * reports none). Leaves the hot state only below the entry threshold minus a hysteresis, so a GPU hovering at the
 * threshold does not flap. Judged on every sample; `for` and `keep_firing_for` run in event time.
 */
export class TemperatureLimitDetector implements Detector {
  readonly name: string;
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: TemperatureLimitRule,
    private readonly spec: TemperatureLimitSpec,
  ) {
    this.name = spec.name;
    this.track = new AlertTrack(spec.alertname, rule);
    this.tracks = [this.track];
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const temp = batch.values[o + this.spec.valueMetric]!;
    if (temp !== temp) return; // not read this tick: no judgement
    const reported = batch.values[o + this.spec.limitMetric]!;
    const elsewhere = this.spec.judgedElsewhereBy;
    // Without a limit of its own the GPU would be held to the configured default, a fixed temperature: where it
    // reports its margin, that rule judges it instead.
    if (
      elsewhere !== undefined &&
      reported !== reported &&
      batch.values[o + elsewhere] === batch.values[o + elsewhere] &&
      !this.track.engaged(gpuId)
    )
      return;
    const limit = reported === reported ? reported : this.rule.defaultLimitC;
    const enter = limit - this.rule.margin_c;
    const track = this.track;
    const isHot = track.held(gpuId) ? temp >= enter - this.rule.hysteresis_c : temp >= enter;
    if (!isHot) {
      if (track.engaged(gpuId)) track.clear(gpuId, batch.eventTs[row]!, emit);
      return; // the healthy fast path
    }
    const labels = gpuAlertLabels(
      this.registry,
      gpuId,
      batch.uuid[row]!,
      this.spec.alertname,
      this.rule.severity,
      'thermal',
    );
    track.observe(
      gpuId,
      true,
      batch.eventTs[row]!,
      labels,
      this.annotations(labels, temp, limit, enter, reported === reported),
      emit,
    );
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }

  private annotations(labels: Labels, temp: number, limit: number, enter: number, reported: boolean): Annotations {
    const { spec, rule } = this;
    const gap = limit - temp;
    const field = METRIC_NAME[spec.limitMetric];
    return {
      summary:
        `${spec.subject(gpuPlace(labels))} ${fmt(temp)} °C, ` +
        `${gap >= 0 ? `${fmt(gap)} °C below` : `${fmt(-gap)} °C above`} its ${fmt(limit)} °C ${spec.limitName}`,
      description:
        `${METRIC_NAME[spec.valueMetric]}=${fmt(temp)} threshold=${fmt(enter)} (${field} ${fmt(limit)} ${reported ? 'reported by the GPU' : 'configured default'} ` +
        `− margin ${fmt(rule.margin_c)}); clears below ${fmt(enter - rule.hysteresis_c)}. ${spec.consequence}`,
      value: fmt(temp),
      threshold: fmt(enter),
      limit: fmt(limit),
    };
  }
}

const METRIC_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(METRIC_ID).map(([name, id]) => [id, name]),
);

/** GpuTemperatureNearSlowdown: the GPU die against its slowdown threshold (slowdown_temp_c). */
export class ThermalDetector extends TemperatureLimitDetector {
  /** @param marginJudged GpuThermalMarginLow runs: a GPU reporting temp_margin_c and no slowdown_temp_c is its, not this rule's */
  constructor(registry: GpuRegistry, rule: ThermalRule, marginJudged = false) {
    super(
      registry,
      { ...rule, defaultLimitC: rule.default_slowdown_c },
      {
        alertname: 'GpuTemperatureNearSlowdown',
        name: 'thermal',
        valueMetric: METRIC_ID.temp_c,
        limitMetric: METRIC_ID.slowdown_temp_c,
        subject: (place) => `${place} is at`,
        limitName: 'slowdown threshold',
        consequence: 'Above the slowdown threshold the GPU throttles its clocks.',
        ...(marginJudged ? { judgedElsewhereBy: METRIC_ID.temp_margin_c } : {}),
      },
    );
  }
}

/** GpuMemoryTemperatureNearLimit: the HBM stacks against their maximum operating temperature (mem_max_temp_c). */
export class HbmTemperatureDetector extends TemperatureLimitDetector {
  constructor(registry: GpuRegistry, rule: HbmTemperatureRule) {
    super(
      registry,
      { ...rule, defaultLimitC: rule.default_max_c },
      {
        alertname: 'GpuMemoryTemperatureNearLimit',
        name: 'hbm_temperature',
        valueMetric: METRIC_ID.mem_temp_c,
        limitMetric: METRIC_ID.mem_max_temp_c,
        subject: (place) => `HBM of ${place} is at`,
        limitName: 'memory maximum operating temperature',
        consequence: 'At the memory maximum the GPU slows its clocks to protect the HBM (SW thermal slowdown).',
      },
    );
  }
}
