import type { WireMessage, XidEvent } from '@kiln/wire';
import { FaultEffects } from './fault-effects.js';
import type { Fault } from './faults.js';
import { GpuModel } from './gpu-model.js';
import { Jobs, type JobOptions } from './jobs.js';
import { FleetMessages } from './messages.js';
import { GPUS_PER_TRAY, Topology } from './topology.js';

export interface FleetOptions {
  /** Cluster name (a subject token). */
  cluster: string;
  /** Number of NVL72 racks: r0001 … */
  racks: number;
  /** Every value of a run follows from the seed and these options. */
  seed: number;
  /** Event time of the first tick (Unix ms); fault times count from here. */
  startMs: number;
  /** Sample interval (ms); default 1000. */
  intervalMs?: number;
  faults?: readonly Fault[];
  jobs?: JobOptions;
}

/**
 * A GB300 NVL72 fleet: racks of 18 compute trays × 4 GPUs running training jobs, with injected faults. Each tick()
 * returns one wire-v1 message per host for the current event time and advances the clock. The same options always
 * produce the same messages.
 *
 * `seq` is floor(startMs / intervalMs) + the tick number: increasing per host, and distinct from the seqs of an
 * earlier run of the same hosts (whose event time was earlier), so JetStream de-duplication (Nats-Msg-Id
 * <host>:<seq>) drops only a true re-send of the same samples.
 */
export class Fleet {
  readonly cluster: string;
  readonly seed: number;
  readonly startMs: number;
  readonly intervalMs: number;
  readonly topology: Topology;
  readonly jobs: Jobs;
  private readonly model: GpuModel;
  private readonly effects: FaultEffects;
  private readonly writer: FleetMessages;
  private readonly seqBase: number;
  private ticks = 0;
  private lastTickTs = NaN;
  private lastSeq = NaN;

  constructor(options: FleetOptions) {
    const { seed, startMs, intervalMs = 1000 } = options;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    if (!Number.isSafeInteger(startMs) || startMs < 0)
      throw new RangeError(`startMs must be Unix milliseconds, got ${startMs}`);
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      throw new RangeError(`intervalMs must be a positive integer, got ${intervalMs}`);
    }
    this.cluster = options.cluster;
    this.seed = seed;
    this.startMs = startMs;
    this.intervalMs = intervalMs;
    this.topology = new Topology(options.cluster, options.racks);
    this.jobs = new Jobs(this.topology, options.jobs, seed);
    this.model = new GpuModel(this.topology, seed);
    this.effects = new FaultEffects(this.topology, options.faults ?? []);
    this.writer = new FleetMessages(this.topology, this.jobs);
    this.seqBase = Math.floor(startMs / intervalMs);
  }

  /** Ticks taken so far. */
  get tickCount(): number {
    return this.ticks;
  }

  /** Event time the next tick() takes when given none: startMs + tickCount × intervalMs. */
  get nextTs(): number {
    return this.startMs + this.ticks * this.intervalMs;
  }

  /** Event time of the latest tick; NaN before the first. */
  get lastTs(): number {
    return this.lastTickTs;
  }

  get gpuCount(): number {
    return this.topology.gpuCount;
  }

  get hostCount(): number {
    return this.topology.hostCount;
  }

  /**
   * Samples every host at event time `atMs` (default nextTs) and advances the clock. A real-time driver passes the
   * wall clock; it must be later than the previous tick's time. The messages are new objects the caller may keep.
   */
  tick(atMs: number = this.nextTs): WireMessage[] {
    const seq = this.advance(atMs);
    return this.writer.fresh(this.effects, this.model.frame, seq, atMs);
  }

  /**
   * As tick(), but returns the fleet's own message objects, rewritten in place by the next tick: encode or copy what
   * you need before ticking again. Allocates nothing per GPU, for publishers and benchmarks.
   */
  tickShared(atMs: number = this.nextTs): readonly WireMessage[] {
    const seq = this.advance(atMs);
    return this.writer.shared(this.effects, this.model.frame, seq, atMs);
  }

  /**
   * The Xid events the latest tick's GPUs logged (Xid storms), one per GPU, per the event contract. Event seq is the
   * tick's seq × 8 + the GPU index: increasing per host and distinct from an earlier run's, like sample seqs.
   */
  tickEvents(): XidEvent[] {
    const { effects, topology } = this;
    if (!effects.xidStorming) return [];
    const events: XidEvent[] = [];
    for (let id = 0; id < topology.gpuCount; id++) {
      const code = effects.xidLogged[id]!;
      const host = Math.floor(id / GPUS_PER_TRAY);
      if (code === 0 || effects.offline[host] === 1 || effects.missing[id] === 1) continue;
      const gpu = id % GPUS_PER_TRAY;
      events.push({
        v: 1,
        cluster: this.cluster,
        rack: topology.racks[topology.rackOfHost(host)]!,
        host: topology.hosts[host]!,
        seq: this.lastSeq * 8 + gpu,
        ts: this.lastTickTs,
        kind: 'xid',
        gpu,
        uuid: topology.uuids[id]!,
        code,
        message: `simulated Xid ${code} (xid_storm)`,
      });
    }
    return events;
  }

  /** Moves jobs, faults and physics to `atMs`; returns the tick's seq. */
  private advance(atMs: number): number {
    if (!Number.isSafeInteger(atMs)) throw new RangeError(`tick time must be integer Unix milliseconds, got ${atMs}`);
    if (atMs <= this.lastTickTs)
      throw new RangeError(`tick time ${atMs} is not after the previous tick (${this.lastTickTs})`);
    const dtS = Number.isNaN(this.lastTickTs) ? this.intervalMs / 1000 : (atMs - this.lastTickTs) / 1000;
    const offsetMs = atMs - this.startMs;
    this.jobs.advance(offsetMs);
    this.effects.apply(offsetMs, this.model);
    this.model.step(dtS, this.jobs, this.effects);
    const seq = this.seqBase + this.ticks;
    this.ticks++;
    this.lastTickTs = atMs;
    this.lastSeq = seq;
    return seq;
  }
}
