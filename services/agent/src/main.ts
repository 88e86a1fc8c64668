import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@kiln/config';
import { createLogger } from '@kiln/log';
import { observeAgent, startTelemetry, type Telemetry } from '@kiln/telemetry';
import { startAgent } from './agent.js';

const USAGE = `usage: kiln-agent --config FILE

Reads this host's GPUs once per agent.interval_ms (nvidia-smi, dcgm-exporter or the simulator) and publishes them to
NATS JetStream, spooling to disk while NATS is away. KILN_<SECTION>_<KEY> variables override the file
(e.g. KILN_AGENT_RACK, KILN_NATS_URL). Stops cleanly on SIGINT, SIGTERM or SIGHUP.
`;

/** The kiln-agent program: runs until SIGINT/SIGTERM/SIGHUP; resolves with the exit code. */
export async function runAgentCommand(argv: readonly string[]): Promise<number> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createLogger('kiln-agent');
  let agent;
  let telemetry: Telemetry | undefined;
  try {
    const config = await loadConfig(values.config);
    telemetry = await startTelemetry({ service: 'kiln-agent', metrics: config.metrics, log });
    agent = await startAgent(config, { log });
  } catch (err) {
    await telemetry?.shutdown();
    process.stderr.write(
      `kiln-agent: ${err instanceof ConfigError ? err.message : String((err as Error).message ?? err)}\n`,
    );
    return 1;
  }
  const running = agent;
  observeAgent(telemetry.meter, () => running.stats());
  // Ready while connected to NATS; samples taken while it is away wait in the spool.
  telemetry.readiness.use([
    {
      name: 'nats',
      check: () => {
        if (!running.stats().connected) throw new Error('not connected to NATS; samples are spooled');
      },
    },
  ]);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // Nothing to reload: a SIGHUP (a closed terminal, a supervisor's reload) stops it as SIGTERM does.
    process.once('SIGHUP', resolve);
  });
  log.info({ signal }, 'stopping');
  await agent.stop();
  await telemetry.shutdown();
  return 0;
}
