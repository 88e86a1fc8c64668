import type { GpuFrame } from '../gpu-frame.js';

/** What a collector learned about the machine when it started, for identity discovery and missing-GPU reports. */
export interface CollectorFacts {
  /** GPUs the host has, as the source reports them at start. */
  expectedGpus?: number;
  /** The host name the source reports (dcgm-exporter's hostname label). */
  hostname?: string;
  /** The NVL72 chassis (rack) serial number nvidia-smi reports on GB200/GB300 systems. */
  chassisSerial?: string;
}

/** Counters every collector keeps; the agent reports them with its own. */
export interface CollectorStats {
  /** Source rows or series that could not be used (bad index, bad uuid, unparsable line). */
  rejected: number;
  /** Restarts of a long-lived source process, or failed scrapes. */
  failures: number;
}

/** A source of GPU readings: nvidia-smi, dcgm-exporter or the simulator. */
export interface Collector {
  readonly source: string;
  readonly stats: CollectorStats;
  /** Starts the source and reports what it learned; rejects when the source cannot be used at all. */
  start(): Promise<CollectorFacts>;
  /** Writes the current readings into `frame` (cleared by the caller); a GPU the source did not report stays absent. */
  read(frame: GpuFrame, now: number): Promise<void> | void;
  stop(): Promise<void>;
}
