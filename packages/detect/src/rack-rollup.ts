import type { AlertEvent, Category } from '@kiln/alerts';
import { grownCapacity, resized, type GpuRegistry } from '@kiln/window';
import { rackAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { CoveringCause } from './cause-rollup.js';
import type { Detector, EmitAlert } from './detector.js';
import type { PartitionState } from './partition-state.js';
import type { RackRollupRule } from './rules/rack-rollup.js';

/** GPUs named in the description. */
const NAMED_GPUS = 8;

/** What a rack roll-up stands for: the per-GPU rule it rolls up and how its alert reads. */
export interface RackRollupSpec {
  readonly name: string;
  /** The rack alert's name. */
  readonly alertname: string;
  /** The per-GPU alert it covers (the alerter's default inhibition mutes those of the rack while this fires). */
  readonly gpuAlertname: string;
  readonly category: Category;
  /** The GPU meets the per-GPU rule's condition at its latest sample. */
  readonly holds: (gpuId: number) => boolean;
  /** "NVLink degraded": what the GPUs have, for the summary. */
  readonly what: string;
  /** What the rack's GPUs sharing it points at, and what to check. */
  readonly advice: string;
}

/**
 * One cause, one page, for a per-GPU rule whose cause is often the rack's (its NVLink switch trays, its fabric manager):
 * one rack alert, labelled with cluster and rack only, when at once at least min_gpus and min_fraction of the rack's
 * reporting GPUs (those judged in the closing pass) meet the GPU rule's condition. Once firing it holds while
 * exit_ratio of that count still do. As a CoveringCause it holds the rack's GPU alerts back while it may fire, so it
 * reaches the alerter first and the default inhibition mutes them.
 */
export class RackRollupDetector implements Detector, CoveringCause {
  readonly name: string;
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  /** Per rack: 1 when at its latest pass enough GPUs met the condition to keep a firing alert (see pendingFor). */
  private suspect = new Uint8Array(16);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: RackRollupRule,
    private readonly spec: RackRollupSpec,
    private readonly state: PartitionState,
  ) {
    this.name = spec.name;
    this.track = new AlertTrack(spec.alertname, rule, 'rack');
    this.tracks = [this.track];
  }

  /** The GPU alert is the rolled-up rule's, and its rack's alert is pending or may soon be. */
  pendingFor(e: AlertEvent): boolean {
    if (e.labels.alertname !== this.spec.gpuAlertname) return false;
    const id = this.state.topology.findRack(e.labels.cluster ?? '', e.labels.rack ?? '');
    return id >= 0 && !this.track.firing(id) && (this.track.pending(id) || this.suspect[id] === 1);
  }

  get holdMs(): number {
    return this.rule.for_ms + 2 * (this.state.windows.lengthMs || 10_000);
  }

  onWindowsClosed(watermarkMs: number, emit: EmitAlert): void {
    const { windows, byRack } = this.state;
    if (windows.judgedCount > 0) {
      const at = windows.judgedEndMs;
      for (let rack = 0; rack < byRack.groups; rack++) {
        const from = byRack.start[rack]!;
        const to = byRack.start[rack + 1]!;
        if (to === from) continue;
        let meeting = 0;
        for (let i = from; i < to; i++) if (this.spec.holds(byRack.members[i]!)) meeting++;
        const needed = Math.max(this.rule.min_gpus, Math.ceil(this.rule.min_fraction * (to - from)));
        const keep = Math.ceil(this.rule.exit_ratio * needed);
        if (rack >= this.suspect.length)
          this.suspect = resized(this.suspect, grownCapacity(this.suspect.length, rack + 1), 0);
        this.suspect[rack] = meeting >= keep ? 1 : 0;
        const active = this.track.held(rack) ? meeting >= keep : meeting >= needed;
        if (!active) {
          if (this.track.engaged(rack)) this.track.clear(rack, at, emit);
          continue;
        }
        this.raise(rack, from, to, meeting, needed, at, emit);
      }
    }
    this.track.advance(watermarkMs, emit);
  }

  private raise(
    rack: number,
    from: number,
    to: number,
    meeting: number,
    needed: number,
    at: number,
    emit: EmitAlert,
  ): void {
    const { topology, byRack } = this.state;
    const cluster = topology.rackCluster[rack]!;
    const rackName = topology.rackName[rack]!;
    const labels = rackAlertLabels(cluster, rackName, this.spec.alertname, this.rule.severity, this.spec.category);
    const named: string[] = [];
    for (let i = from; i < to && named.length < NAMED_GPUS; i++) {
      const g = byRack.members[i]!;
      if (this.spec.holds(g)) named.push(`${this.registry.hostOf(g)}/${this.registry.gpuIndexOf(g)}`);
    }
    this.track.observe(
      rack,
      true,
      at,
      labels,
      {
        summary: `Rack ${rackName} (${cluster}): ${this.spec.what} on ${meeting} of ${to - from} GPUs at once`,
        description:
          `${meeting} GPUs of the rack meet ${this.spec.gpuAlertname}'s condition at once (${needed} make a rack-wide event): ${this.spec.advice} ` +
          `GPUs: ${named.join(', ')}${meeting > named.length ? ', …' : ''}. The GPUs' own ${this.spec.gpuAlertname} alerts are muted while this fires.`,
        affected_gpus: String(meeting),
        reporting_gpus: String(to - from),
        threshold: String(needed),
      },
      emit,
    );
  }
}
