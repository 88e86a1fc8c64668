import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import { ensureStreams, retryTransient, streamOptions } from '@kiln/nats';
import { Fleet, parseFaults, publishFleet, type PublishResult } from '@kiln/simulator';
import type { ConsoleReport } from './progress.js';

export interface Simulation {
  /** Messages acknowledged by JetStream so far. */
  published(): number;
  /** Resolves with the totals when the run ends (its tick budget is spent, or stop()). */
  readonly done: Promise<PublishResult>;
  stop(): Promise<void>;
}

/**
 * Runs the simulated GB300 fleet of the `simulate` section against JetStream: `realtime` stamps each tick with the
 * wall clock; `replay` publishes `durationMs` of event time as fast as the server acknowledges, ending now.
 */
export async function startSimulation(
  config: KilnConfig,
  nc: NatsConnection,
  report: ConsoleReport,
  run: { durationMs?: number; faults?: readonly string[] } = {},
): Promise<Simulation> {
  const sim = config.simulate;
  await ensureStreams(await retryTransient('JetStream', () => jetstreamManager(nc)), streamOptions(config.nats));
  const faults = parseFaults([...sim.faults, ...(run.faults ?? [])]);
  const interval = sim.interval_ms;
  const replay = sim.mode === 'replay';
  const durationMs = run.durationMs;
  const now = Math.floor(Date.now() / interval) * interval;
  // A replay ends at the present, so its samples fall inside the accepted ts window.
  const startMs = replay ? now - (durationMs ?? 600_000) : now;
  const fleet = new Fleet({
    cluster: sim.cluster,
    racks: sim.racks,
    seed: sim.seed,
    startMs,
    intervalMs: interval,
    faults,
  });
  report.line(
    `simulating ${sim.racks} GB300 NVL72 rack(s) of cluster ${sim.cluster}: ${fleet.gpuCount} GPUs on ${fleet.hostCount} hosts, ` +
      `${sim.mode}${faults.length ? `, faults: ${sim.faults.concat(run.faults ?? []).join(' ')}` : ''}`,
  );
  const abort = new AbortController();
  let published = 0;
  const done = publishFleet(jetstream(nc), fleet, {
    mode: sim.mode,
    ...(replay ? { durationMs: durationMs ?? 600_000 } : durationMs !== undefined ? { durationMs } : {}),
    signal: abort.signal,
    onProgress: (stats) => {
      published = stats.messages;
    },
  });
  return {
    published: () => published,
    done,
    async stop() {
      abort.abort();
      await done.catch(() => undefined);
    },
  };
}
