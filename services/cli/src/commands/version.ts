import { buildInfo } from '@kiln/config';
import type { Command } from './command.js';

/** `kiln version`, also `kiln --version` and `kiln -V`. */
export const version: Command = {
  name: 'version',
  summary:
    'print the Kiln version, the git revision it was built from, and the Node.js version (also kiln --version, -V)',
  options: {},
  async run() {
    const { version: v, revision, node } = buildInfo();
    process.stdout.write(`kiln ${v} (revision ${revision}, node ${node})\n`);
    return 0;
  },
};
