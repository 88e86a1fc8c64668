import { AlertLifecycle } from '@kiln/alerts';
import type { ThermalRuleConfig } from '@kiln/config';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import type { GpuRegistry } from '@kiln/window';
import type { Detector, EmitAlert } from './detector.js';
import { gpuAlertLabels } from './gpu-labels.js';

const TEMP = METRIC_ID.temp_c;
const SLOWDOWN = METRIC_ID.slowdown_temp_c;
const ALERTNAME = 'GpuTemperatureNearSlowdown';

/**
 * GPU temperature at or above its own reported slowdown threshold minus a margin (or a configured default threshold
 * when the GPU reports none). Leaves the hot state only below the entry threshold minus a hysteresis, so a GPU hovering
 * at the threshold does not flap. Judged on every sample; `for` and `keep_firing_for` run in event time.
 */
export class ThermalDetector implements Detector {
  readonly name = 'thermal';
  private hot = new Uint8Array(1024);
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
    if (gpuId >= this.hot.length) this.grow(gpuId + 1);
    const reported = batch.values[o + SLOWDOWN]!;
    const slowdown = reported === reported ? reported : this.rule.default_slowdown_c;
    const enter = slowdown - this.rule.margin_c;
    const wasHot = this.hot[gpuId] === 1;
    const isHot = wasHot ? temp >= enter - this.rule.hysteresis_c : temp >= enter;
    if (!isHot && !wasHot) return; // the healthy fast path
    this.hot[gpuId] = isHot ? 1 : 0;
    const ts = batch.ts[row]!;
    const labels = gpuAlertLabels(this.registry, gpuId, batch.uuid[row]!, ALERTNAME, this.rule.severity, 'thermal');
    const source = reported === reported ? 'reported' : 'default';
    const where = `GPU ${labels.gpu} on ${labels.host} (rack ${labels.rack}, ${labels.cluster})`;
    const annotations = {
      summary: isHot
        ? `${where} is at ${fmt(temp)} °C, ${fmt(slowdown - temp)} °C below its ${fmt(slowdown)} °C slowdown threshold`
        : `${where} cooled to ${fmt(temp)} °C`,
      description:
        `temp_c=${fmt(temp)} threshold=${fmt(enter)} (slowdown_temp_c ${fmt(slowdown)} ${source} − margin ${fmt(this.rule.margin_c)}); ` +
        `clears below ${fmt(enter - this.rule.hysteresis_c)}. Above the slowdown threshold the GPU throttles its clocks.`,
      value: fmt(temp),
      threshold: fmt(enter),
    };
    const event = this.lifecycle.observe(this.key(gpuId), isHot, ts, labels, annotations);
    if (event) emit(event);
  }

  private key(gpuId: number): string {
    return (this.keys[gpuId] ??= `${ALERTNAME}/${gpuId}`);
  }

  private grow(n: number): void {
    let size = this.hot.length;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.hot);
    this.hot = next;
  }
}

function fmt(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}
