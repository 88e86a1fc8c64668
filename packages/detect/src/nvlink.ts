import type { Annotations, Labels } from '@kiln/alerts';
import { METRIC_COUNT, METRIC_ID, type SampleBatch } from '@kiln/wire';
import { grownCapacity, resized, type GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import { CounterRate } from './counter-rate.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration, fmt, gpuPlace } from './format.js';
import type { RackRollupSpec } from './rack-rollup.js';
import type { NvlinkRule } from './rules/nvlink.js';

export const GPU_NVLINK_ALERTNAME = 'GpuNvlinkDegraded';
const INACTIVE = METRIC_ID.nvlink_links_inactive;
/** The NVLink error counters, each judged on its own rate. */
const ERROR_COUNTERS = [
  METRIC_ID.nvlink_crc_errors,
  METRIC_ID.nvlink_replay_errors,
  METRIC_ID.nvlink_recovery_errors,
] as const;
const ERROR_NAMES = ['nvlink_crc_errors', 'nvlink_replay_errors', 'nvlink_recovery_errors'] as const;

/**
 * NVLink degraded on one GPU of an NVLink domain: more links inactive than max_inactive_links, or an error counter
 * (CRC, replay, recovery) rising faster than max_errors_per_s over rate_window_ms. A few CRC errors a minute (a link
 * retrying now and then) and a driver reload's counter restart are no degradation. A GPU that reports none of these
 * fields (an H100 read through nvidia-smi) is never judged. Many GPUs of one rack at once are one rack alert
 * (RackRollupDetector over `degraded`), which mutes theirs.
 */
export class NvlinkDetector implements Detector {
  readonly name = 'nvlink';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  private readonly rates: readonly CounterRate[];
  /** Per GPU: bit k set while counter k's latest rate is above the threshold. */
  private errorBits = new Uint8Array(64);
  /** Per GPU and counter: the latest rate (errors/s). */
  private latestRate = new Float64Array(64 * ERROR_COUNTERS.length);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: NvlinkRule,
  ) {
    this.track = new AlertTrack(GPU_NVLINK_ALERTNAME, rule);
    this.tracks = [this.track];
    this.rates = ERROR_COUNTERS.map(() => new CounterRate(rule.rate_window_ms));
  }

  /** The GPU's NVLink is degraded at its latest sample (the condition, whether or not its alert fires yet). */
  degraded(gpuId: number): boolean {
    return this.track.held(gpuId);
  }

  onSample(batch: SampleBatch, row: number, gpuId: number, emit: EmitAlert): void {
    const o = row * METRIC_COUNT;
    if (gpuId >= this.errorBits.length) this.grow(gpuId + 1);
    const ts = batch.eventTs[row]!;
    for (let k = 0; k < ERROR_COUNTERS.length; k++) {
      const count = batch.values[o + ERROR_COUNTERS[k]!]!;
      if (count !== count) continue;
      const rate = this.rates[k]!.observe(gpuId, count, ts);
      if (rate !== rate) continue;
      this.latestRate[gpuId * ERROR_COUNTERS.length + k] = rate;
      if (rate > this.rule.max_errors_per_s) this.errorBits[gpuId]! |= 1 << k;
      else this.errorBits[gpuId]! &= ~(1 << k);
    }
    const inactive = batch.values[o + INACTIVE]!;
    const linksDown = inactive > this.rule.max_inactive_links; // NaN (not read) compares false
    if (!linksDown && this.errorBits[gpuId] === 0) {
      // `held` too: the rack roll-up reads it even where this GPU's own alert never engaged.
      if (this.track.held(gpuId) || this.track.engaged(gpuId)) this.track.clear(gpuId, ts, emit);
      return;
    }
    const labels = gpuAlertLabels(
      this.registry,
      gpuId,
      batch.uuid[row]!,
      GPU_NVLINK_ALERTNAME,
      this.rule.severity,
      'hardware',
    );
    this.track.observe(gpuId, true, ts, labels, this.annotations(labels, gpuId, linksDown ? inactive : 0), emit);
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    this.track.advance(watermarkMs, emit);
  }

  forgetGpu(gpuId: number): void {
    for (const rate of this.rates) rate.forgetGpu(gpuId);
    if (gpuId < this.errorBits.length) this.errorBits[gpuId] = 0;
  }

  private annotations(labels: Labels, gpuId: number, inactive: number): Annotations {
    const bits = this.errorBits[gpuId]!;
    const rising = ERROR_NAMES.flatMap((name, k) =>
      (bits & (1 << k)) !== 0 ? [`${name} +${fmt(this.latestRate[gpuId * ERROR_COUNTERS.length + k]!)}/s`] : [],
    );
    const what = [
      ...(inactive > 0 ? [`${fmt(inactive, 0)} NVLink link${inactive === 1 ? '' : 's'} inactive`] : []),
      ...(rising.length > 0 ? [`NVLink errors rising (${rising.join(', ')})`] : []),
    ].join(' and ');
    return {
      summary: `${gpuPlace(labels)}: ${what}`,
      description:
        `${what}; thresholds: more than ${this.rule.max_inactive_links} inactive links, or more than ${fmt(this.rule.max_errors_per_s)} errors/s ` +
        `over ${duration(this.rule.rate_window_ms)}. A degraded link slows every collective of the job across the NVLink domain; ` +
        'check the link with nvidia-smi nvlink -s / -e, reseat or replace the tray or switch tray if it persists.',
      value: inactive > 0 ? fmt(inactive, 0) : rising.join(', '),
    };
  }

  private grow(n: number): void {
    const size = grownCapacity(this.errorBits.length, n);
    this.errorBits = resized(this.errorBits, size, 0);
    this.latestRate = resized(this.latestRate, size * ERROR_COUNTERS.length, 0);
  }
}

/** RackNvlinkDegraded: many GPUs of one rack (one NVLink domain) with degraded NVLink at once. */
export function rackNvlinkSpec(nvlink: NvlinkDetector): RackRollupSpec {
  return {
    name: 'rack_nvlink',
    alertname: 'RackNvlinkDegraded',
    gpuAlertname: GPU_NVLINK_ALERTNAME,
    category: 'hardware',
    holds: (g) => nvlink.degraded(g),
    what: 'NVLink degraded',
    advice:
      'many GPUs of one NVLink domain losing links at once points at what they share, the NVLink switch trays or their cabling and power.',
  };
}
