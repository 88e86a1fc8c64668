import type { Logger } from '@kiln/log';
import { METRIC_COUNT, METRIC_ID } from '@kiln/wire';
import { GPU_SLOTS, type GpuFrame } from '../../gpu-frame.js';
import type { Collector, CollectorFacts, CollectorStats } from '../collector.js';
import { invalidFieldIn, QuerySelection } from './query-fields.js';
import { parseQueryRow, QueryRow } from './query-row.js';
import { parseNvlinkErrors, parseNvlinkStatus, type NvlinkErrors } from './nvlink-status.js';
import { slurmJobsByGpu } from './slurm-jobs.js';
import { runNvidiaSmi } from './run-nvidia-smi.js';
import { parseSmiQuery, type GpuQueryReadings, type SmiQueryReport } from './smi-query.js';
import { SupervisedProcess } from './supervised-process.js';

const SLOWDOWN_TEMP_C = METRIC_ID.slowdown_temp_c;
const MEM_MAX_TEMP_C = METRIC_ID.mem_max_temp_c;
const FABRIC_CLIQUE = METRIC_ID.fabric_clique;
const FABRIC_STATE = METRIC_ID.fabric_state;
const NVLINK_LINKS_INACTIVE = METRIC_ID.nvlink_links_inactive;
const NVLINK_CRC_ERRORS = METRIC_ID.nvlink_crc_errors;
const NVLINK_REPLAY_ERRORS = METRIC_ID.nvlink_replay_errors;
const NVLINK_RECOVERY_ERRORS = METRIC_ID.nvlink_recovery_errors;

export interface NvidiaSmiOptions {
  /** Path or name (looked up on PATH) of nvidia-smi. */
  command: string;
  intervalMs: number;
  /** How often the thermal limits and the fabric clique are read again (`nvidia-smi -q`). */
  limitsRefreshMs: number;
  /** How often `nvidia-smi nvlink -s` and `-e` are run for the inactive links and the error counters. */
  nvlinkRefreshMs: number;
  /** How often the processes on the GPUs are listed for their Slurm jobs. */
  jobsRefreshMs: number;
  /** Where the processes' environments are read (`<procRoot>/<pid>/environ`). */
  procRoot: string;
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
 * restarted at once; any other exit restarts it with back-off.
 *
 * What --query-gpu cannot give comes from short runs at slower cadences, so the per-tick cost stays one streaming
 * process: thermal limits and the fabric clique from `nvidia-smi -q` at start, every limitsRefreshMs and whenever a
 * GPU's fabric state changes (a clique is assigned as the fabric forms; -d TEMPERATURE alone lacks the Fabric
 * section); inactive NVLink links and the links' error counters from `nvidia-smi nvlink -s` and `-e` every
 * nvlinkRefreshMs (a link down or errors rising are faults to see within a minute, not a tick); the Slurm job of each
 * GPU from `--query-compute-apps` and the processes' environment every jobsRefreshMs (jobs last hours). A reading
 * whose refresh failed is left absent, never carried forward.
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
  private reportByBus = new Map<string, GpuQueryReadings>();
  private reportInOrder: GpuQueryReadings[] = [];
  private inactiveLinks = new Map<string, number>();
  private linkErrors = new Map<string, NvlinkErrors>();
  private jobs = new Map<string, string>();
  private readonly process: SupervisedProcess;
  private readonly timers: NodeJS.Timeout[] = [];
  private reportRefresh: Promise<void> | undefined;
  private readonly staleMs: number;

  constructor(private readonly options: NvidiaSmiOptions) {
    this.staleMs = 2 * options.intervalMs + 1000;
    this.process = new SupervisedProcess({
      command: options.command,
      args: () => [
        '--query-gpu=' + this.selection.argument,
        '--format=csv,noheader,nounits',
        '-lms',
        String(options.intervalMs),
      ],
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
      this.useReport(report);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
        throw new NvidiaSmiMissingError(this.options.command, err);
      }
      // The driver may be reloading: stream anyway, the process supervisor keeps trying.
      this.options.log.warn(
        { err: String(err) },
        'nvidia-smi -q failed; thermal limits unknown until the next refresh',
      );
    }
    this.process.start();
    await Promise.all([this.refreshNvlink(), this.refreshJobs()]);
    this.timers.push(
      setInterval(() => void this.refreshReport(), this.options.limitsRefreshMs),
      setInterval(() => void this.refreshNvlink(), this.options.nvlinkRefreshMs),
      setInterval(() => void this.refreshJobs(), this.options.jobsRefreshMs),
    );
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
      const readings = this.reportOf(index);
      if (readings) {
        frame.values[base + SLOWDOWN_TEMP_C] = readings.slowdownC;
        frame.values[base + MEM_MAX_TEMP_C] = readings.memMaxC;
        frame.values[base + FABRIC_CLIQUE] = readings.fabricClique;
      }
      const uuid = this.uuids[index]!;
      frame.values[base + NVLINK_LINKS_INACTIVE] = this.inactiveLinks.get(uuid) ?? NaN;
      const errors = this.linkErrors.get(uuid);
      if (errors) {
        frame.values[base + NVLINK_CRC_ERRORS] = errors.crc;
        frame.values[base + NVLINK_REPLAY_ERRORS] = errors.replay;
        frame.values[base + NVLINK_RECOVERY_ERRORS] = errors.recovery;
      }
      frame.jobs[index] = this.jobs.get(uuid);
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
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
    const fabricBefore = this.latest[base + FABRIC_STATE]!;
    const fabricNow = row.metrics[FABRIC_STATE]!;
    if (
      fabricBefore !== fabricNow &&
      !(Number.isNaN(fabricBefore) && Number.isNaN(fabricNow)) &&
      this.seenAt[row.index] !== 0
    ) {
      void this.refreshReport();
    }
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

  private reportOf(index: number): GpuQueryReadings | undefined {
    const busId = this.busIds[index]!;
    return busId !== '' ? this.reportByBus.get(busId) : this.reportInOrder[index];
  }

  private useReport(report: SmiQueryReport): void {
    if (report.gpus.length === 0) return;
    this.reportInOrder = report.gpus;
    this.reportByBus = new Map(report.gpus.map((g) => [g.busId, g]));
  }

  /** Reads `nvidia-smi -q` again; a refresh asked for while one runs joins it. */
  private refreshReport(): Promise<void> {
    this.reportRefresh ??= this.query(['-q'])
      .then((text) => this.useReport(parseSmiQuery(text)))
      .catch((err: unknown) =>
        this.options.log.warn(
          { err: String(err) },
          'nvidia-smi -q failed; keeping the previous thermal limits and fabric clique',
        ),
      )
      .finally(() => (this.reportRefresh = undefined));
    return this.reportRefresh;
  }

  private async refreshNvlink(): Promise<void> {
    // Drivers without NVLink support exit non-zero here: the fields are absent, as on any part without links.
    const [status, errors] = await Promise.allSettled([this.query(['nvlink', '-s']), this.query(['nvlink', '-e'])]);
    this.inactiveLinks = status.status === 'fulfilled' ? parseNvlinkStatus(status.value) : new Map();
    this.linkErrors = errors.status === 'fulfilled' ? parseNvlinkErrors(errors.value) : new Map();
    for (const failed of [status, errors]) {
      if (failed.status === 'rejected')
        this.options.log.debug(
          { err: String(failed.reason) },
          'nvidia-smi nvlink failed; its NVLink fields are absent',
        );
    }
  }

  private async refreshJobs(): Promise<void> {
    try {
      this.jobs = await slurmJobsByGpu(
        await this.query(['--query-compute-apps=gpu_uuid,pid', '--format=csv,noheader']),
        this.options.procRoot,
      );
    } catch (err) {
      this.jobs = new Map();
      this.options.log.debug({ err: String(err) }, 'nvidia-smi --query-compute-apps failed; GPU jobs unknown');
    }
  }

  private query(args: string[]): Promise<string> {
    return runNvidiaSmi(this.options.command, args);
  }
}
