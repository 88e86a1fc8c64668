import { parseDuration } from '@kiln/duration';
import { ONE_SHOT_CONNECT_MS } from '@kiln/nats';
import { FaultSyntaxError, parseFaults } from '@kiln/simulator';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import { openNats } from '../components.js';
import { ConsoleReport } from '../progress.js';
import { untilSignal } from '../signals.js';
import { startSimulation } from '../simulation.js';
import { UsageError } from '../usage-error.js';
import type { Command } from './command.js';

const options = {
  racks: { type: 'string', value: 'N', description: 'racks to simulate (simulate.racks), 72 GPUs each' },
  mode: {
    type: 'string',
    value: 'realtime|replay',
    description:
      'realtime: one tick per interval of wall time; replay: event time as fast as JetStream acknowledges, ending now',
  },
  duration: {
    type: 'string',
    value: 'DURATION',
    description: 'how long to run, e.g. 90s, 10m, 1h (replay default 10m; realtime default: until stopped)',
  },
  seed: { type: 'string', value: 'N', description: 'random seed (simulate.seed): the same seed gives the same fleet' },
  cluster: { type: 'string', value: 'NAME', description: 'cluster label of the simulated racks (simulate.cluster)' },
  fault: { type: 'string', multiple: true, value: 'SPEC', description: 'inject a fault, added to simulate.faults' },
} as const;

export const simulate: Command = {
  name: 'simulate',
  options,
  notes:
    '  SPEC: <kind>[=<value>]:<host>[/<gpu>]@<start>[+<duration>], e.g. overheat:r0001-t07/2@60s+3m\n' +
    '  kinds: overheat stall straggler xid xid_storm ecc_dbe gpu_missing offline counter_reset clock_skew rack_cooling',
  summary: 'publish a simulated GB300 NVL72 fleet (wire v1) to JetStream, live or as a fast event-time replay',
  async run(argv) {
    const { values } = parseCommandLine(argv, options);
    if (values.help) return printHelp(simulate);
    const config = await configFrom(values);
    const sim = config.simulate;
    if (values.racks !== undefined) sim.racks = positiveInt('--racks', values.racks);
    if (values.seed !== undefined) sim.seed = positiveInt('--seed', values.seed);
    if (values.cluster !== undefined) sim.cluster = values.cluster;
    if (values.mode !== undefined) {
      if (values.mode !== 'realtime' && values.mode !== 'replay')
        throw new UsageError(`--mode must be realtime or replay, not ${values.mode}`);
      sim.mode = values.mode;
    }
    let durationMs: number | undefined;
    if (values.duration !== undefined) {
      durationMs = parseDuration(values.duration);
      if (durationMs === undefined) throw new UsageError(`--duration ${values.duration}: expected e.g. 90s, 10m, 1h`);
    }
    try {
      parseFaults(values.fault ?? []);
    } catch (err) {
      throw err instanceof FaultSyntaxError ? new UsageError(`--fault: ${err.message}`) : err;
    }
    const report = new ConsoleReport();
    const nats = await openNats(config, `kiln-simulate@${process.pid}`, {
      startServer: false,
      // A replay is a one-shot run; a realtime simulation is a service, and waits.
      first:
        sim.mode === 'replay'
          ? { giveUpAfterMs: ONE_SHOT_CONNECT_MS }
          : { onWaiting: (servers, err) => report.line(`waiting for NATS at ${servers} (${err.message})`) },
    });
    const run = await startSimulation(config, nats.nc, report, {
      ...(durationMs !== undefined ? { durationMs } : {}),
      faults: values.fault ?? [],
    });
    const timer = setInterval(
      () => report.line(`published ${run.published().toLocaleString('en-US')} messages`),
      5_000,
    );
    const ended = await Promise.race([
      run.done.then((r) => ({ result: r })),
      untilSignal({ stopOnHangup: true }).then(() => undefined),
    ]);
    clearInterval(timer);
    if (!ended) await run.stop();
    const result = ended?.result ?? (await run.done);
    report.line(
      `published ${result.messages.toLocaleString('en-US')} messages (${result.samples.toLocaleString('en-US')} GPU-samples, ` +
        `${result.duplicates} duplicates dropped by JetStream)`,
    );
    await nats.close();
    return 0;
  },
};

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, not ${text}`);
  return n;
}
