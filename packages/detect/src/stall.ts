import type { StallRule } from './rules/stall.js';
import type { GpuRegistry } from '@kiln/window';
import { gpuAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { fmt, gpuPlace } from './format.js';
import type { PartitionState } from './partition-state.js';
import { medianInPlace } from './robust-stats.js';
import { PeerGroupKind } from './topology.js';

const ALERTNAME = 'GpuStalled';

/**
 * A stalled GPU: near-zero activity (sm_active, else util_pct) over a window while its peer group, its job or else its
 * rack, is busy (median activity at least peer_busy). A dip of the whole group (checkpoint, evaluation, job start or
 * stop) makes the group not busy, so nobody in it is judged stalled: the condition clears, and keep_firing_for carries
 * a firing alert over a short dip. Judged on each closing pass of the window core, persistent for `for_ms`.
 */
export class StallDetector implements Detector {
  readonly name = 'stall';
  readonly tracks: readonly AlertTrack[];
  private readonly track: AlertTrack;
  private scratch = new Float64Array(64);

  constructor(
    private readonly registry: GpuRegistry,
    private readonly rule: StallRule,
    private readonly state: PartitionState,
  ) {
    this.track = new AlertTrack(ALERTNAME, rule);
    this.tracks = [this.track];
  }

  onWindowsClosed(_watermarkMs: number, emit: EmitAlert): void {
    const { windows, byPeerGroup: groups } = this.state;
    if (windows.judgedCount === 0) return;
    const at = windows.judgedEndMs;
    const { activity } = windows;
    for (let group = 0; group < groups.groups; group++) {
      const from = groups.start[group]!;
      const to = groups.start[group + 1]!;
      if (to === from) continue;
      if (this.scratch.length < to - from) this.scratch = new Float64Array(2 * (to - from));
      let n = 0;
      for (let i = from; i < to; i++) {
        const a = activity[groups.members[i]!]!;
        if (a === a) this.scratch[n++] = a;
      }
      const median = medianInPlace(this.scratch, n);
      const judged = n - 1 >= this.rule.min_peers && median >= this.rule.peer_busy;
      for (let i = from; i < to; i++) {
        const gpu = groups.members[i]!;
        const a = activity[gpu]!;
        if (a !== a) continue; // activity not read: no judgement
        const stalled = judged && (this.track.held(gpu) ? a < this.rule.exit_activity : a <= this.rule.max_activity);
        if (!stalled) {
          if (this.track.engaged(gpu)) this.track.clear(gpu, at, emit);
          continue;
        }
        this.raise(gpu, group, a, median, n - 1, at, emit);
      }
    }
  }

  private raise(
    gpu: number,
    group: number,
    a: number,
    median: number,
    peers: number,
    at: number,
    emit: EmitAlert,
  ): void {
    const { topology } = this.state;
    const base = gpuAlertLabels(this.registry, gpu, topology.uuid[gpu]!, ALERTNAME, this.rule.severity, 'utilization');
    const labels =
      topology.groupKind[group] === PeerGroupKind.job ? { ...base, job: topology.groupName[group]! } : base;
    const peersName = topology.describeGroup(group);
    this.track.observe(
      gpu,
      true,
      at,
      labels,
      {
        summary: `${gpuPlace(labels)} is stalled (activity ${fmt(a * 100, 0)} %) while its ${peersName} peers are busy (median ${fmt(median * 100, 0)} %)`,
        description:
          `Window mean activity ${fmt(a, 3)} (sm_active, else util_pct/100) is at or below ${fmt(this.rule.max_activity, 3)} while the ` +
          `median of its ${peers} peers in ${peersName} is ${fmt(median, 3)} (busy from ${fmt(this.rule.peer_busy, 2)}). A hung rank ` +
          `holds up its whole synchronous job: check the process on the GPU, then drain it.`,
        value: fmt(a, 3),
        threshold: fmt(this.rule.max_activity, 3),
        peer_median: fmt(median, 3),
        peers: String(peers),
        peer_group: peersName,
      },
      emit,
    );
  }
}
