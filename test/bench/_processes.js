// Helpers the benchmarks share for the Kiln processes they start.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The kiln command line, run as `node KILN_BIN <command>`. */
export const KILN_BIN = fileURLToPath(new URL('../../services/cli/bin/kiln.js', import.meta.url));

/** CPU seconds (user + system) a process has used so far, from Linux /proc (clock ticks of 1/100 s). */
export async function cpuSecondsOf(pid) {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** Minor page faults a process has taken so far (pages it touched for the first time since they were mapped). */
export async function minorFaultsOf(pid) {
  return Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')[7]);
}

/** The most resident memory a process has held so far, in bytes (VmHWM). */
export async function peakRssOf(pid) {
  return Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/**
 * CPU seconds a process has used so far by kind of thread, from /proc/<pid>/task: `main` (the JavaScript thread),
 * `node` (Node's other threads: libuv workers, V8's garbage collection and compiler helpers), `merges` (the embedded
 * engine's background merges, MergeMutate) and `engine` (its other threads: insert pipelines, schedulers). Threads that
 * ended in between are not counted (the process total, cpuSecondsOf, still holds them).
 */
export async function threadCpuSecondsOf(pid) {
  const kinds = { main: 0, node: 0, merges: 0, engine: 0 };
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue; // ended since the listing
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
    const kind =
      tid === String(pid)
        ? 'main'
        : name === 'MergeMutate'
          ? 'merges'
          : /^(node|libuv-worker|V8 |v8:)/.test(name)
            ? 'node'
            : 'engine';
    kinds[kind] += seconds;
  }
  return kinds;
}

/** Resolves once `check` holds, asking every `every` ms; throws after `ms`. */
export async function until(what, check, ms, every = 250) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
