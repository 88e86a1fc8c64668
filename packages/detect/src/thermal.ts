import { AlertLifecycle, type Annotations, type Labels } from '@kiln/alerts';
import type { ThermalRuleConfig } from '@kiln/config';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import type { Detector, EmitAlert } from './detector.js';
import { gpuAlertLabels } from './gpu-labels.js';

const TEMP = METRIC_ID.temp_c;
const SLOWDOWN = METRIC_ID.slowdown_temp_c;
const ALERTNAME = 'GpuTemperatureNearSlowdown';
const IDLE = 0;
const PENDING = 1;
const FIRING = 2;
const COOLING = 3;

/**
 * GPU temperature at or above its own reported slowdown threshold minus a margin (or a configured default threshold
 * when the GPU reports none). Leaves the hot state only below the entry threshold minus a hysteresis, so a GPU hovering
 * at the threshold does not flap. Judged on every sample; `for` and `keep_firing_for` run in event time.
 */
export class ThermalDetector implements Detector {
  readonly name = 'thermal';
  /** Per GPU: IDLE, PENDING, FIRING, or COOLING (firing, condition cleared, inside keep_firing_for). */
  private state = new Uint8Array(1024);
  private readonly keys: string[] = [];
  private readonly lifecycle: AlertLifecycle;

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: ThermalRuleConfig,
  ) {
    this.lifecycle = new AlertLifecycle({ for: rule.for_ms, keepFiringFor: rule.keep_firing_for_ms });
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    const temp = batch.values[o + TEMP]!;
    if (temp !== temp) return; // not read this tick: no judgement
    if (gpuId >= this.state.length) this.grow(gpuId + 1);
    const reported = batch.values[o + SLOWDOWN]!;
    const slowdown = reported === reported ? reported : this.rule.default_slowdown_c;
    const enter = slowdown - this.rule.margin_c;
    const state = this.state[gpuId]!;
    const wasHot = state === PENDING || state === FIRING;
    const isHot = wasHot ? temp >= enter - this.rule.hysteresis_c : temp >= enter;
    if (!isHot && state === IDLE) return; // the healthy fast path
    const ts = batch.ts[row]!;
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, this.rule.severity, 'thermal');
    const event = this.lifecycle.observe(this.key(gpuId), isHot, ts, labels, this.annotations(labels, temp, slowdown, enter, reported === reported));
    if (isHot) this.state[gpuId] = event?.status === 'firing' || state === FIRING || state === COOLING ? FIRING : PENDING;
    else this.state[gpuId] = state === PENDING || event?.status === 'resolved' ? IDLE : COOLING;
    if (event) emit(event);
  }

  private annotations(labels: Labels, temp: number, slowdown: number, enter: number, reported: boolean): Annotations {
    const where = `GPU ${labels.gpu} on ${labels.host} (rack ${labels.rack}, ${labels.cluster})`;
    return {
      summary: `${where} is at ${fmt(temp)} °C, ${fmt(slowdown - temp)} °C below its ${fmt(slowdown)} °C slowdown threshold`,
      description:
        `temp_c=${fmt(temp)} threshold=${fmt(enter)} (slowdown_temp_c ${fmt(slowdown)} ${reported ? 'reported by the GPU' : 'configured default'} ` +
        `− margin ${fmt(this.rule.margin_c)}); clears below ${fmt(enter - this.rule.hysteresis_c)}. ` +
        `Above the slowdown threshold the GPU throttles its clocks.`,
      value: fmt(temp),
      threshold: fmt(enter),
    };
  }

  private key(gpuId: number): string {
    return (this.keys[gpuId] ??= `${ALERTNAME}/${gpuId}`);
  }

  private grow(n: number): void {
    let size = this.state.length;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.state);
    this.state = next;
  }
}

function fmt(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}
