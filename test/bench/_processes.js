// Helpers the benchmarks share for the Kiln processes they start.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The kiln command line, run as `node KILN_BIN <command>`. */
export const KILN_BIN = fileURLToPath(new URL('../../services/cli/bin/kiln.js', import.meta.url));

/** CPU seconds (user + system) a process has used so far, from Linux /proc (clock ticks of 1/100 s). */
export async function cpuSecondsOf(pid) {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}
