import type { AlertEvent } from '@kiln/alerts';
import { detectConfig } from './config.js';
import { Fleet, parseFaults, type JobOptions } from '@kiln/simulator';
import { DecodeStats, DEFAULT_DECODE_LIMITS, decodeMessage, encodeMessage, gpuSubject, SampleBatch } from '@kiln/wire';
import { DetectionRig, eventTime } from './rig.js';

export const T0 = Date.UTC(2026, 0, 15);

export interface FleetRun {
  racks: number;
  /** Simulated duration, ticks of 1 s. */
  seconds: number;
  faults?: string[];
  jobs?: JobOptions;
  seed?: number;
  /** Each message through the wire codec (encode, then the aggregator's decoder), as in production; else copied. */
  codec?: boolean;
  /**
   * Replayed as fast as possible, long after the fact: the wall clock an hour past the run and one millisecond per
   * second of event time, and a wall-clock tick every 30 s of event time (the aggregator's ten a second, at a replay's
   * pace). Otherwise the run is lived: the wall clock is event time, with a tick every second.
   */
  replay?: boolean;
}

export interface FleetResult {
  events: AlertEvent[];
  samples: number;
  gpus: number;
}

/** Runs a simulated GB300 fleet through the detection rig, one message per host per second. Events come back in event-time order. */
export function runFleet(run: FleetRun): FleetResult {
  const fleet = new Fleet({
    cluster: 'sim-ai1',
    racks: run.racks,
    seed: run.seed ?? 1,
    startMs: T0,
    faults: parseFaults(run.faults ?? []),
    ...(run.jobs ? { jobs: run.jobs } : {}),
  });
  const rig = new DetectionRig(detectConfig());
  const batch = new SampleBatch(64);
  const stats = new DecodeStats();
  const encoder = new TextEncoder();
  let samples = 0;
  for (let t = 0; t < run.seconds; t++) {
    const now = T0 + t * 1000;
    const wall = run.replay ? T0 + run.seconds * 1000 + 3_600_000 + t : now;
    for (const m of run.codec ? fleet.tick() : fleet.tickShared()) {
      batch.clear();
      if (run.codec) {
        const result = decodeMessage(
          gpuSubject(m.cluster, m.rack, m.host),
          encoder.encode(encodeMessage(m)),
          now,
          DEFAULT_DECODE_LIMITS,
          batch,
          stats,
          0,
        );
        if (!result.ok) throw new Error(`simulated message rejected: ${result.reason} ${result.detail}`);
      } else batch.appendMessage(m);
      samples += batch.length;
      rig.message(batch, 0, wall);
    }
    if (!run.replay || t % 30 === 29) rig.tick(wall);
  }
  const events = rig.events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => eventTime(a.e) - eventTime(b.e) || a.i - b.i)
    .map(({ e }) => e);
  return { events, samples, gpus: fleet.gpuCount };
}
