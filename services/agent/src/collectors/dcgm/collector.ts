import { LogThrottle, type Logger } from '@kiln/log';
import { METRIC_COUNT } from '@kiln/wire';
import { GpuFrame, isGpuIndex, isGpuUuid } from '../../gpu-frame.js';
import type { Collector, CollectorFacts, CollectorStats } from '../collector.js';
import { DCGM_MAPPINGS, dcgmValue } from './dcgm-fields.js';
import { readExposition } from './exposition.js';
import { jobOf } from './job-labels.js';

export interface DcgmOptions {
  /** dcgm-exporter's metrics URL. */
  url: string;
  intervalMs: number;
  log: Logger;
}

/**
 * Scrapes dcgm-exporter once per tick and maps its DCGM_FI_* series to wire metrics by DCGM field id (the per-GPU
 * series carry `gpu`, `UUID` and `Hostname` or, since exporter #655, `hostname`). DCGM blank sentinels are dropped,
 * energy is converted from mJ to J, and MIG-instance series (a non-empty GPU_I_ID) are left out: the wire carries
 * whole GPUs. A GPU absent from a scrape is absent from the tick. The GPU's job comes from the exporter's job labels
 * (see jobOf).
 */
export class DcgmCollector implements Collector {
  readonly source = 'dcgm';
  readonly stats: CollectorStats = { rejected: 0, failures: 0 };
  /** The hostname label of the last scrape. */
  hostname: string | undefined;
  private readonly timeoutMs: number;
  private failingSince = 0;
  private readonly scrapeFailures = new LogThrottle();

  constructor(private readonly options: DcgmOptions) {
    this.timeoutMs = Math.min(10_000, Math.max(2_000, options.intervalMs));
  }

  async start(): Promise<CollectorFacts> {
    const probe = new GpuFrame();
    await this.read(probe, Date.now());
    const facts: CollectorFacts = {};
    if (probe.presentCount > 0) facts.expectedGpus = probe.presentCount;
    if (this.hostname !== undefined) facts.hostname = this.hostname;
    return facts;
  }

  async read(frame: GpuFrame, _now: number): Promise<void> {
    let text: string;
    try {
      const response = await fetch(this.options.url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } catch (err) {
      this.noteFailure(err);
      return;
    }
    if (this.failingSince !== 0) {
      this.options.log.info(
        { url: this.options.url, failedForMs: Date.now() - this.failingSince },
        'dcgm-exporter answers again',
      );
      this.failingSince = 0;
    }
    this.stats.rejected += readExposition(text, (name, labels, value) => {
      const mapping = DCGM_MAPPINGS.get(name);
      if (mapping === undefined) return;
      this.hostname = labels.get('hostname') ?? labels.get('Hostname') ?? this.hostname;
      const instance = labels.get('GPU_I_ID');
      if (instance !== undefined && instance !== '') return;
      const index = Number(labels.get('gpu'));
      const uuid = labels.get('UUID') ?? '';
      if (!isGpuIndex(index) || !isGpuUuid(uuid)) {
        this.stats.rejected++;
        return;
      }
      const base = frame.present[index] === 1 ? index * METRIC_COUNT : frame.begin(index, uuid);
      frame.jobs[index] ??= jobOf(labels);
      const v = dcgmValue(mapping, value);
      // A blank stays absent; it never overwrites the same field read under its other name. Two fields that add up
      // to one metric give the sum of those present.
      if (Number.isNaN(v)) return;
      const at = base + mapping.metric;
      const before = frame.values[at]!;
      frame.values[at] = mapping.adds && !Number.isNaN(before) ? before + v : v;
    });
  }

  async stop(): Promise<void> {}

  private noteFailure(err: unknown): void {
    this.stats.failures++;
    if (this.failingSince === 0) this.failingSince = Date.now();
    if (!this.scrapeFailures.allow()) return;
    this.options.log.warn(
      { url: this.options.url, err: String(err) },
      'cannot scrape dcgm-exporter; its GPUs are left out of the tick',
    );
  }
}
