import { Fleet, GPUS_PER_TRAY, hostName, parseFaults, rackName, TRAYS_PER_RACK } from '@kiln/simulator';
import { METRIC_COUNT, METRICS } from '@kiln/wire';
import type { GpuFrame } from '../gpu-frame.js';
import type { Collector, CollectorFacts, CollectorStats } from './collector.js';

export interface SimOptions {
  /** The agent's rack and host: the model's uuids follow the rack, its tray follows the host. */
  rack: string;
  host: string;
  seed: number;
  intervalMs: number;
  /**
   * Fault specs (the simulator's syntax, times from the agent's start) naming this host as the model names it: tray N
   * of rack r0001 (`r0001-t07` for a host whose name ends with -t07), or rack r0001 for rack_cooling.
   */
  faults?: readonly string[];
}

/**
 * The simulator's GB300 model for one compute tray: an NVL72 rack is modelled (its job, checkpoints, coolant) and
 * this host reports the tray whose number its name ends with (`…-t07` → tray 7), or a tray picked by hashing the
 * name. For tests and demos on machines without GPUs.
 */
export class SimCollector implements Collector {
  readonly source = 'sim';
  readonly stats: CollectorStats = { rejected: 0, failures: 0 };
  private readonly fleet: Fleet;
  private readonly trayHost: string;
  private lastAt = 0;

  constructor(options: SimOptions) {
    const faults = parseFaults(options.faults ?? []);
    this.fleet = new Fleet({
      cluster: options.rack,
      racks: 1,
      seed: options.seed,
      startMs: Date.now(),
      intervalMs: options.intervalMs,
      faults,
    });
    this.trayHost = hostName(rackName(0), trayOf(options.host));
  }

  async start(): Promise<CollectorFacts> {
    return { expectedGpus: GPUS_PER_TRAY };
  }

  read(frame: GpuFrame, now: number): void {
    const at = Math.max(now, this.lastAt + 1);
    this.lastAt = at;
    const message = this.fleet.tickShared(at).find((m) => m.host === this.trayHost);
    if (!message) return;
    for (const gpu of message.gpus) {
      const base = frame.begin(gpu.gpu, gpu.uuid);
      frame.jobs[gpu.gpu] = gpu.job;
      for (let m = 0; m < METRIC_COUNT; m++) {
        const v = gpu[METRICS[m]!.name];
        if (v !== undefined) frame.values[base + m] = v;
      }
    }
  }

  async stop(): Promise<void> {}
}

/** Tray (0-based) named by a trailing -tNN, else a stable hash of the host name. */
function trayOf(host: string): number {
  const m = /-t(?:ray)?(\d{1,3})$/.exec(host);
  if (m) {
    const n = Number(m[1]);
    if (n >= 1 && n <= TRAYS_PER_RACK) return n - 1;
  }
  let h = 0;
  for (let i = 0; i < host.length; i++) h = (Math.imul(h, 31) + host.charCodeAt(i)) >>> 0;
  return h % TRAYS_PER_RACK;
}
