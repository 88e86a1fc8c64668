import { METRIC_COUNT } from './catalog.js';
import type { DecodeStats } from './decode-stats.js';
import { MAX_GPUS_PER_MESSAGE } from './message.js';

/**
 * Field faults and unknown fields of the message being decoded. They reach the stats only once the message is
 * accepted, so the counts describe stored data and a rejected message counts once, under its reason.
 */
class PendingCounts {
  /** Metric id of each fault, in the order found. */
  readonly faults = new Uint8Array(MAX_GPUS_PER_MESSAGE * METRIC_COUNT);
  faultCount = 0;
  readonly unknownFields: string[] = [];

  clear(): void {
    this.faultCount = 0;
    this.unknownFields.length = 0;
  }

  addFault(metricId: number): void {
    this.faults[this.faultCount++] = metricId;
  }

  commitTo(stats: DecodeStats): void {
    for (let i = 0; i < this.faultCount; i++) stats.fieldFaults[this.faults[i]!]!++;
    for (const name of this.unknownFields) stats.countUnknownField(name);
  }
}

/** Decoding is synchronous, so one instance serves every decoder in the process. */
export const pending = new PendingCounts();
