import { NVLINK_RATE_BPS } from './gb300.js';
import { Rng } from './rng.js';
import { GPUS_PER_TRAY, TRAYS_PER_RACK, type Topology } from './topology.js';

/** How training jobs occupy the fleet. Every field is optional; the defaults model one long pretraining job per rack. */
export interface JobOptions {
  /** Jobs per rack (1..18), each on a contiguous block of trays; default 1. */
  perRack?: number;
  /** Mean time between checkpoints (ms); default 10 min. Each interval varies ±5%. */
  checkpointIntervalMs?: number;
  /** Checkpoint duration range (ms): the whole job drops to low utilization; default [20 s, 40 s]. */
  checkpointDurationMs?: readonly [number, number];
  /** Mean time between job restarts (ms), exponentially distributed; default 6 h; Infinity disables restarts. */
  restartMeanMs?: number;
  /** Restart duration range (ms): processes gone, memory released, GPUs idle; default [60 s, 180 s]. */
  restartDurationMs?: readonly [number, number];
}

/** What a job's GPUs are doing. */
export const JobPhase = { train: 0, checkpoint: 1, restart: 2 } as const;
export type JobPhase = (typeof JobPhase)[keyof typeof JobPhase];

const DEFAULTS = {
  perRack: 1,
  checkpointIntervalMs: 600_000,
  checkpointDurationMs: [20_000, 40_000],
  restartMeanMs: 6 * 3_600_000,
  restartDurationMs: [60_000, 180_000],
} as const satisfies Required<JobOptions>;

/** Checkpoint intervals vary by this fraction either way. */
const CHECKPOINT_INTERVAL_JITTER = 0.05;

/**
 * The training jobs, one row per job in typed arrays. A job's GPUs share its phase and a per-tick common fluctuation,
 * so utilization is near-synchronous across them and checkpoint dips start and end on the same tick everywhere.
 * Phase changes and job traits come from their own random stream, so they depend only on the seed and the job
 * layout, never on faults.
 */
export class Jobs {
  readonly names: readonly string[];
  /** Job of each GPU (dense GPU id → dense job id). */
  readonly jobOfGpu: Uint32Array;
  readonly phase: Uint8Array;
  /** Common fluctuation of this tick, in (-1, 1), shared by the job's GPUs. */
  readonly jitter: Float32Array;
  /** Traits that set the job's load: mean busy fraction, and SM / tensor / DRAM activity per unit of busy. */
  readonly busy: Float32Array;
  readonly smShare: Float32Array;
  readonly tensorShare: Float32Array;
  readonly dramShare: Float32Array;
  /** Share of the framebuffer the job allocates. */
  readonly fbShare: Float32Array;
  /** NVLink traffic per GPU while training (bytes/s). */
  readonly nvlinkRate: Float64Array;
  private readonly nextCheckpointMs: Float64Array;
  private readonly nextRestartMs: Float64Array;
  private readonly phaseEndMs: Float64Array;
  private readonly options: Required<JobOptions>;
  private readonly rng: Rng;

  constructor(topology: Topology, options: JobOptions | undefined, seed: number) {
    this.options = validateJobOptions(options);
    const perRack = this.options.perRack;
    const count = topology.racks.length * perRack;
    this.rng = new Rng(seed, 2);
    this.names = topology.racks.flatMap((rack) =>
      Array.from({ length: perRack }, (_, k) => (perRack === 1 ? `train-${rack}` : `train-${rack}-${k + 1}`)),
    );
    this.jobOfGpu = new Uint32Array(topology.gpuCount);
    for (let gpu = 0; gpu < topology.gpuCount; gpu++) {
      const host = Math.floor(gpu / GPUS_PER_TRAY);
      const tray = host % TRAYS_PER_RACK;
      this.jobOfGpu[gpu] = topology.rackOfHost(host) * perRack + Math.floor((tray * perRack) / TRAYS_PER_RACK);
    }
    this.phase = new Uint8Array(count);
    this.jitter = new Float32Array(count);
    this.busy = new Float32Array(count);
    this.smShare = new Float32Array(count);
    this.tensorShare = new Float32Array(count);
    this.dramShare = new Float32Array(count);
    this.fbShare = new Float32Array(count);
    this.nvlinkRate = new Float64Array(count);
    this.nextCheckpointMs = new Float64Array(count);
    this.nextRestartMs = new Float64Array(count);
    this.phaseEndMs = new Float64Array(count);
    const rng = this.rng;
    for (let j = 0; j < count; j++) {
      this.busy[j] = rng.range(0.965, 0.985);
      this.smShare[j] = rng.range(0.86, 0.94);
      this.tensorShare[j] = rng.range(0.62, 0.78);
      this.dramShare[j] = rng.range(0.4, 0.6);
      this.fbShare[j] = rng.range(0.72, 0.9);
      this.nvlinkRate[j] = rng.range(NVLINK_RATE_BPS[0], NVLINK_RATE_BPS[1]);
      // Jobs started at different times: their checkpoints fall anywhere in the first interval.
      this.nextCheckpointMs[j] = rng.next() * this.options.checkpointIntervalMs;
      this.nextRestartMs[j] = rng.exponential(this.options.restartMeanMs);
    }
  }

  get count(): number {
    return this.names.length;
  }

  /** Moves every job to its phase at `offsetMs` after the start and draws this tick's common fluctuations. */
  advance(offsetMs: number): void {
    const o = this.options;
    const rng = this.rng;
    for (let j = 0; j < this.phase.length; j++) {
      const phase = this.phase[j];
      if (phase === JobPhase.train) {
        if (offsetMs >= this.nextRestartMs[j]!) {
          this.phase[j] = JobPhase.restart;
          this.phaseEndMs[j] = offsetMs + rng.range(o.restartDurationMs[0], o.restartDurationMs[1]);
        } else if (offsetMs >= this.nextCheckpointMs[j]!) {
          this.phase[j] = JobPhase.checkpoint;
          this.phaseEndMs[j] = offsetMs + rng.range(o.checkpointDurationMs[0], o.checkpointDurationMs[1]);
          // Checkpoints come every N steps: the next one is timed from this one's start.
          this.nextCheckpointMs[j] = Math.max(
            offsetMs,
            this.nextCheckpointMs[j]! + o.checkpointIntervalMs * (1 + CHECKPOINT_INTERVAL_JITTER * rng.noise()),
          );
        }
      } else if (offsetMs >= this.phaseEndMs[j]!) {
        if (phase === JobPhase.restart) {
          // A restarted job resumes from its last checkpoint and starts a fresh checkpoint cycle.
          this.nextCheckpointMs[j] = offsetMs + o.checkpointIntervalMs * (1 + CHECKPOINT_INTERVAL_JITTER * rng.noise());
          this.nextRestartMs[j] = offsetMs + rng.exponential(o.restartMeanMs);
        }
        this.phase[j] = JobPhase.train;
      }
      this.jitter[j] = rng.noise();
    }
  }
}

function validateJobOptions(options: JobOptions | undefined): Required<JobOptions> {
  const o: Required<JobOptions> = {
    perRack: options?.perRack ?? DEFAULTS.perRack,
    checkpointIntervalMs: options?.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs,
    checkpointDurationMs: options?.checkpointDurationMs ?? DEFAULTS.checkpointDurationMs,
    restartMeanMs: options?.restartMeanMs ?? DEFAULTS.restartMeanMs,
    restartDurationMs: options?.restartDurationMs ?? DEFAULTS.restartDurationMs,
  };
  if (!Number.isInteger(o.perRack) || o.perRack < 1 || o.perRack > TRAYS_PER_RACK) {
    throw new RangeError(`jobs.perRack must be an integer in 1..${TRAYS_PER_RACK}, got ${o.perRack}`);
  }
  if (!(Number.isFinite(o.checkpointIntervalMs) && o.checkpointIntervalMs > 0)) {
    throw new RangeError(
      `jobs.checkpointIntervalMs must be a positive number of milliseconds, got ${o.checkpointIntervalMs}`,
    );
  }
  if (!(o.restartMeanMs > 0)) {
    throw new RangeError(`jobs.restartMeanMs must be > 0 (Infinity disables restarts), got ${o.restartMeanMs}`);
  }
  checkRange('jobs.checkpointDurationMs', o.checkpointDurationMs);
  checkRange('jobs.restartDurationMs', o.restartDurationMs);
  return o;
}

function checkRange(name: string, range: readonly [number, number]): void {
  const [min, max] = range;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
    throw new RangeError(`${name} must be [min, max] milliseconds with 0 <= min <= max, got ${JSON.stringify(range)}`);
  }
}
