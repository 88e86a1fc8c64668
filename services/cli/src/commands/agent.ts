import { runAgentCommand } from '@kiln/agent';
import type { Command } from './command.js';

/** `kiln agent` is the same program as `kiln-agent`, which GPU hosts install on its own (without the store). */
export const agent: Command = {
  name: 'agent',
  summary: 'read this host\'s GPUs (nvidia-smi, dcgm-exporter or the simulator) and publish them, spooling to disk while NATS is away',
  usage: 'kiln agent --config FILE',
  run: (argv) => runAgentCommand(argv),
};
