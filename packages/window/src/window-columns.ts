import { METRIC_COUNT, METRICS } from '@kiln/wire';

/**
 * Which metrics a WindowCore keeps statistics of, and where: column c of a window's block holds metric `metricOf[c]`,
 * and metric m sits in column `column[m]` (-1 when it is not windowed). Keeping only the metrics the window consumers
 * read is most of the core's memory: each windowed metric costs 24 bytes per open window of every GPU.
 */
export class WindowColumns {
  readonly width: number;
  readonly metricOf: Uint8Array;
  readonly column: Int8Array;
  /** 1 where the column holds a counter (its count and sum are of increases). */
  readonly isCounter: Uint8Array;
  /** The columns that hold counters. */
  readonly counters: Uint8Array;

  /** @param metrics metric ids to window, in column order; every metric of the catalog by default */
  constructor(metrics: readonly number[] = METRICS.map((_, m) => m)) {
    if (metrics.length === 0) throw new Error('at least one metric must be windowed');
    this.width = metrics.length;
    this.metricOf = new Uint8Array(metrics);
    this.column = new Int8Array(METRIC_COUNT).fill(-1);
    this.isCounter = new Uint8Array(metrics.length);
    const counters: number[] = [];
    metrics.forEach((m, c) => {
      const def = METRICS[m];
      if (!Number.isInteger(m) || def === undefined) throw new Error(`no metric with id ${m}`);
      if (this.column[m] !== -1) throw new Error(`metric ${def.name} is listed twice`);
      this.column[m] = c;
      if (def.kind === 'counter') {
        this.isCounter[c] = 1;
        counters.push(c);
      }
    });
    this.counters = new Uint8Array(counters);
  }
}
