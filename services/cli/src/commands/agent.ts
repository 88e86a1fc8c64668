import { runAgentCommand } from '@kiln/agent';
import { configFrom, parseCommandLine, printHelp } from '../args.js';
import type { Command } from './command.js';

/** `kiln agent` is the same program as `kiln-agent`, which GPU hosts install on its own (without the store). */
export const agent: Command = {
  name: 'agent',
  summary:
    "read this host's GPUs (nvidia-smi, dcgm-exporter or the simulator) and publish them, spooling to disk while NATS is away",
  options: {},
  async run(argv) {
    // The whole configuration is checked first, as every long-running kiln command does; kiln-agent alone checks its own part.
    const { values } = parseCommandLine(argv, {});
    if (values.help) return printHelp(agent);
    await configFrom(values);
    return runAgentCommand(argv);
  },
};
