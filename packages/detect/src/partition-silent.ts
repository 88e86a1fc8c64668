import { TOPOLOGY_ALERTNAMES } from '@kiln/alerts';
import type { PartitionSilentRule } from './rules/partition-silent.js';
import { rackAlertLabels } from './alert-labels.js';
import { AlertTrack } from './alert-track.js';
import type { Detector, EmitAlert } from './detector.js';
import { duration } from './format.js';
import type { PartitionTopology } from './topology.js';

export const PARTITION_SILENT_ALERTNAME = TOPOLOGY_ALERTNAMES.partitionSilent;
/** Racks named in the annotation of a partition with several. */
const NAMED_RACKS = 20;

/**
 * The whole partition silent in wall-clock time: no sample at all for after_ms of wall time, after samples had
 * arrived. This is the one detector on the wall clock (nothing arriving is not an event), so its startsAt and endsAt
 * are wall-clock times. One alert for the partition, never one per host: its labels name the partition's cluster and
 * rack when it has one of each (a partition is normally one rack), else "*" with the racks listed in the annotations.
 */
export class PartitionSilentDetector implements Detector {
  readonly name = 'partition_silent';
  private readonly track = new AlertTrack(
    PARTITION_SILENT_ALERTNAME,
    { for_ms: 0, keep_firing_for_ms: 0 },
    'partition',
  );
  readonly tracks: readonly AlertTrack[] = [this.track];
  private seenSamples = 0;
  private lastProgressWallMs = NaN;

  constructor(
    private readonly rule: PartitionSilentRule,
    private readonly topology: PartitionTopology,
  ) {}

  onTick(wallNowMs: number, _watermarkMs: number, emit: EmitAlert): void {
    const { topology } = this;
    if (this.lastProgressWallMs !== this.lastProgressWallMs) {
      // The first look: the wall clock starts counting here. An alert taken up after a restart waits for samples.
      this.seenSamples = topology.samples;
      this.lastProgressWallMs = wallNowMs;
      return;
    }
    if (topology.samples !== this.seenSamples) {
      this.seenSamples = topology.samples;
      this.lastProgressWallMs = wallNowMs;
      if (this.track.engaged(0)) this.track.clear(0, wallNowMs, emit);
      return;
    }
    if (topology.samples === 0) return;
    const silentFor = wallNowMs - this.lastProgressWallMs;
    if (silentFor < this.rule.after_ms) return;
    const clusters = [...new Set(topology.rackCluster)].sort();
    const racks = topology.rackName.map((rack, r) => `${topology.rackCluster[r]}/${rack}`).sort();
    const cluster = clusters.length === 1 ? clusters[0]! : '*';
    const rack = topology.rackCount === 1 ? topology.rackName[0]! : '*';
    const shown =
      racks.length > NAMED_RACKS
        ? `${racks.slice(0, NAMED_RACKS).join(', ')} and ${racks.length - NAMED_RACKS} more`
        : racks.join(', ');
    this.track.observe(
      0,
      true,
      Math.round(wallNowMs),
      rackAlertLabels(cluster, rack, PARTITION_SILENT_ALERTNAME, this.rule.severity, 'availability'),
      {
        summary: `No telemetry from ${rack === '*' ? `${racks.length} racks` : `rack ${rack}`} (${cluster}) for ${duration(silentFor)}`,
        description:
          `The aggregator of this partition has received no sample for ${duration(silentFor)} of wall-clock time; the newest event time it has ` +
          `is ${new Date(topology.newestTs).toISOString()}. Everything upstream of it is suspect: the NATS stream or its consumer, the racks' ` +
          `network, or all agents at once. Racks: ${shown}.`,
        racks: shown,
        last_event_time: new Date(topology.newestTs).toISOString(),
        silent_for_s: String(Math.round(silentFor / 1000)),
      },
      emit,
    );
  }
}
