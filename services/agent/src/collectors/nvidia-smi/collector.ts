import type { Logger } from '@kiln/log';
import { METRIC_COUNT, METRIC_ID } from '@kiln/wire';
import { GPU_SLOTS, type GpuFrame } from '../../gpu-frame.js';
import type { Collector, CollectorFacts, CollectorStats } from '../collector.js';
import { invalidFieldIn, QuerySelection } from './query-fields.js';
import { parseQueryRow, QueryRow } from './query-row.js';
import { runNvidiaSmi } from './run-nvidia-smi.js';
import { parseSmiQuery, type GpuThermalLimits, type SmiQueryReport } from './smi-query.js';
import { SupervisedProcess } from './supervised-process.js';

const SLOWDOWN_TEMP_C = METRIC_ID.slowdown_temp_c;
const MEM_MAX_TEMP_C = METRIC_ID.mem_max_temp_c;

export interface NvidiaSmiOptions {
  /** Path or name (looked up on PATH) of nvidia-smi. */
  command: string;
  intervalMs: number;
  /** How often the thermal limits are read again. */
  limitsRefreshMs: number;
  log: Logger;
}

/** nvidia-smi could not be started at all. */
export class NvidiaSmiMissingError extends Error {
  constructor(command: string, cause: unknown) {
    super(
      `cannot run '${command}' (${(cause as Error).message}): install the NVIDIA driver utilities, set agent.nvidia_smi ` +
        `to its path, or choose agent.source dcgm or sim`,
      { cause },
    );
    this.name = 'NvidiaSmiMissingError';
  }
}

/**
 * Reads the GPUs through one long-lived `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms <interval>`
 * process, parsed line by line as it streams. The latest row of each GPU is kept; a GPU whose row has not come for
 * two intervals (plus a second) is left out of the tick (it fell off the bus, or nvidia-smi stalled): its values are
 * never carried forward. Field names an older driver rejects are swapped for their older spelling and the process is
 * restarted at once; any other exit restarts it with back-off. Thermal limits come from `nvidia-smi -q` at start and
 * `nvidia-smi -q -d TEMPERATURE` every limitsRefreshMs.
 */
export class NvidiaSmiCollector implements Collector {
  readonly source = 'nvidia-smi';
  readonly stats: CollectorStats = { rejected: 0, failures: 0 };
  private readonly selection = new QuerySelection();
  private readonly row = new QueryRow();
  private readonly latest = new Float64Array(GPU_SLOTS * METRIC_COUNT).fill(NaN);
  private readonly seenAt = new Float64Array(GPU_SLOTS);
  private readonly uuids: string[] = new Array<string>(GPU_SLOTS).fill('');
  private readonly busIds: string[] = new Array<string>(GPU_SLOTS).fill('');
  private limitsByBus = new Map<string, GpuThermalLimits>();
  private limitsInOrder: GpuThermalLimits[] = [];
  private readonly process: SupervisedProcess;
  private limitsTimer: NodeJS.Timeout | undefined;
  private readonly staleMs: number;

  constructor(private readonly options: NvidiaSmiOptions) {
    this.staleMs = 2 * options.intervalMs + 1000;
    this.process = new SupervisedProcess({
      command: options.command,
      args: () => ['--query-gpu=' + this.selection.argument, '--format=csv,noheader,nounits', '-lms', String(options.intervalMs)],
      onLine: (line) => this.onLine(line),
      onExit: (_code, _signal, output) => this.onExit(output),
      log: options.log,
    });
  }

  /** Starts of the streaming process so far. */
  get processStarts(): number {
    return this.process.starts;
  }

  /** The streaming process (for tests that kill it). */
  get processPid(): number | undefined {
    return this.process.pid;
  }

  /** The --query-gpu list in use (older drivers get older names). */
  get queryFields(): string {
    return this.selection.argument;
  }

  async start(): Promise<CollectorFacts> {
    let report: SmiQueryReport | undefined;
    try {
      report = parseSmiQuery(await this.query(['-q']));
      this.useLimits(report);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
        throw new NvidiaSmiMissingError(this.options.command, err);
      }
      // The driver may be reloading: stream anyway, the process supervisor keeps trying.
      this.options.log.warn({ err: String(err) }, 'nvidia-smi -q failed; thermal limits unknown until the next refresh');
    }
    this.process.start();
    this.limitsTimer = setInterval(() => void this.refreshLimits(), this.options.limitsRefreshMs);
    const facts: CollectorFacts = {};
    if (report?.attachedGpus !== undefined) facts.expectedGpus = report.attachedGpus;
    if (report?.chassisSerial !== undefined) facts.chassisSerial = report.chassisSerial;
    return facts;
  }

  read(frame: GpuFrame, now: number): void {
    for (let index = 0; index < GPU_SLOTS; index++) {
      const seen = this.seenAt[index]!;
      if (seen === 0 || now - seen > this.staleMs) continue;
      const base = frame.begin(index, this.uuids[index]!);
      frame.values.set(this.latest.subarray(base, base + METRIC_COUNT), base);
      const limits = this.limitsOf(index);
      if (limits) {
        frame.values[base + SLOWDOWN_TEMP_C] = limits.slowdownC;
        frame.values[base + MEM_MAX_TEMP_C] = limits.memMaxC;
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.limitsTimer);
    await this.process.stop();
  }

  private onLine(line: string): void {
    const row = this.row;
    if (!parseQueryRow(line, this.selection.columns, row)) {
      // A header, an error message on stdout, or a GPU index/uuid the wire cannot carry.
      if (invalidFieldIn(line) === undefined) this.stats.rejected++;
      return;
    }
    const base = row.index * METRIC_COUNT;
    this.latest.set(row.metrics, base);
    this.uuids[row.index] = row.uuid;
    this.busIds[row.index] = row.busId;
    this.seenAt[row.index] = Date.now();
  }

  private onExit(output: readonly string[]): 'now' | 'backoff' {
    for (const line of output) {
      const field = invalidFieldIn(line);
      if (field === undefined) continue;
      try {
        const change = this.selection.reject(field);
        this.options.log.info({ change }, 'nvidia-smi does not know a field (older driver); using its older name');
        return 'now';
      } catch (err) {
        this.options.log.error({ err: String(err) }, 'nvidia-smi cannot report what Kiln needs');
        break;
      }
    }
    this.stats.failures++;
    return 'backoff';
  }

  private limitsOf(index: number): GpuThermalLimits | undefined {
    const busId = this.busIds[index]!;
    return busId !== '' ? this.limitsByBus.get(busId) : this.limitsInOrder[index];
  }

  private useLimits(report: SmiQueryReport): void {
    if (report.gpus.length === 0) return;
    this.limitsInOrder = report.gpus;
    this.limitsByBus = new Map(report.gpus.map((g) => [g.busId, g]));
  }

  private async refreshLimits(): Promise<void> {
    try {
      this.useLimits(parseSmiQuery(await this.query(['-q', '-d', 'TEMPERATURE'])));
    } catch (err) {
      this.options.log.warn({ err: String(err) }, 'nvidia-smi -q -d TEMPERATURE failed; keeping the previous thermal limits');
    }
  }

  private query(args: string[]): Promise<string> {
    return runNvidiaSmi(this.options.command, args);
  }
}
