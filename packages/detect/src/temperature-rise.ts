import type { TemperatureRiseRule } from './rules/temperature-rise.js';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import { THERMAL_CLOCK_EVENTS } from '@kiln/wire';
import type { Detector, EmitAlert } from './detector.js';
import { fmt, gpuPlace } from './format.js';
import type { PartitionState } from './partition-state.js';

const ALERTNAME = 'GpuTemperatureRising';
/** Once rising, the GPU stays so while the rate is at least this share of min_rate … */
const EXIT_RATE_SHARE = 0.5;
/** … and the forecast stays within this many °C of the limit. */
const EXIT_FORECAST_C = 2;

/**
 * Rapid temperature rise: the least-squares slope of the GPU's window mean temperatures over span_ms is at least
 * min_rate_c_per_min, the GPU is already within near_c of its slowdown threshold, and the linear forecast
 * horizon_ms ahead reaches the threshold. Pages before the GPU throttles. The nearness condition keeps a job start
 * (a fast rise from idle that levels off at the working temperature) from paging. A GPU already thermally throttled
 * is past the warning (its temperature now follows its clock control, GpuThermalThrottling has it): not rising.
 * Judged on each closing pass.
 */
export class TemperatureRiseDetector implements Detector {
  readonly name = 'temperature_rise';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: TemperatureRiseRule,
    /** Used when a GPU reports no slowdown_temp_c. */
    private readonly defaultSlowdownC: number,
    private readonly state: PartitionState,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onWindowsClosed(_watermarkMs: number, emit: EmitAlert): void {
    const { windows } = this.state;
    const at = windows.judgedEndMs;
    const len = windows.lengthMs;
    const points = Math.max(2, Math.round(this.rule.span_ms / len));
    for (let i = 0; i < windows.judgedCount; i++) {
      const gpu = windows.judged[i]!;
      const temp = windows.temp[gpu]!;
      const slope = temp === temp ? this.slopePerMs(gpu, windows.start[gpu]!, points, len) : NaN;
      const reported = windows.slowdown[gpu]!;
      const limit = reported === reported ? reported : this.defaultSlowdownC;
      const forecast = temp + slope * this.rule.horizon_ms;
      const ratePerMin = slope * 60_000;
      const held = this.track.held(gpu);
      const throttled = (windows.clockEvents[gpu]! & THERMAL_CLOCK_EVENTS) !== 0;
      const rising = throttled
        ? false
        : held
          ? ratePerMin >= this.rule.min_rate_c_per_min * EXIT_RATE_SHARE && forecast >= limit - EXIT_FORECAST_C
          : ratePerMin >= this.rule.min_rate_c_per_min && temp >= limit - this.rule.near_c && forecast >= limit;
      if (!rising) {
        if (this.track.engaged(gpu)) this.track.clear(gpu, at, emit);
        continue;
      }
      const labels = gpuAlertLabels(
        this.registry,
        gpu,
        this.state.topology.uuid[gpu]!,
        ALERTNAME,
        this.rule.severity,
        'thermal',
      );
      const eta = Math.max(0, (limit - temp) / slope);
      this.track.observe(
        gpu,
        true,
        at,
        labels,
        {
          summary: `${gpuPlace(labels)} is heating at ${fmt(ratePerMin)} °C/min: ${fmt(temp)} °C now, its ${fmt(limit)} °C slowdown threshold in about ${fmt(eta / 1000, 0)} s`,
          description:
            `The mean temperature rose ${fmt(ratePerMin)} °C/min over the last ${fmt((points * len) / 1000, 0)} s (fires from ` +
            `${fmt(this.rule.min_rate_c_per_min)} °C/min within ${fmt(this.rule.near_c)} °C of the threshold); at this rate it reaches ` +
            `${fmt(forecast)} °C in ${fmt(this.rule.horizon_ms / 1000, 0)} s. Check the GPU's cooling before it throttles.`,
          value: fmt(temp),
          rate_c_per_min: fmt(ratePerMin, 2),
          forecast_c: fmt(forecast),
          threshold: fmt(limit),
        },
        emit,
      );
    }
  }

  /** Least-squares slope (°C/ms) of the last `points` window means ending at `lastStart`; NaN with a gap or too few. */
  private slopePerMs(gpu: number, lastStart: number, points: number, len: number): number {
    const { windows } = this.state;
    let n = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let k = 0; k < points; k++) {
      const t = windows.tempAt(gpu, lastStart - k * len);
      if (t !== t) return NaN;
      const x = -k * len;
      n++;
      sx += x;
      sy += t;
      sxx += x * x;
      sxy += x * t;
    }
    const d = n * sxx - sx * sx;
    return d > 0 ? (n * sxy - sx * sy) / d : NaN;
  }
}
