import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_JOB_LENGTH } from '@kiln/wire';

/** `--query-compute-apps=gpu_uuid,pid --format=csv,noheader` lines → the pids on each GPU uuid. */
export function parseComputeApps(text: string): Map<string, number[]> {
  const pids = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const [uuid, pidText] = line.split(',').map((c) => c.trim());
    const pid = Number(pidText);
    if (!uuid?.startsWith('GPU-') || !Number.isInteger(pid) || pid <= 0) continue;
    const list = pids.get(uuid) ?? [];
    list.push(pid);
    pids.set(uuid, list);
  }
  return pids;
}

/**
 * The Slurm job of a process: SLURM_JOB_ID in `<procRoot>/<pid>/environ` (NUL-separated). Undefined when the process
 * has none, is gone, or its environment cannot be read (another user's process read by an agent that is not root).
 */
export async function slurmJobOf(procRoot: string, pid: number): Promise<string | undefined> {
  let environ: string;
  try {
    environ = await readFile(join(procRoot, String(pid), 'environ'), 'latin1');
  } catch {
    return undefined;
  }
  for (const entry of environ.split('\0')) {
    if (!entry.startsWith('SLURM_JOB_ID=')) continue;
    const job = entry.slice('SLURM_JOB_ID='.length);
    return job.length > 0 && job.length <= MAX_JOB_LENGTH ? job : undefined;
  }
  return undefined;
}

/**
 * The Slurm job on each GPU (by uuid): the job of the lowest pid on it that has one, so a GPU shared by two jobs
 * keeps the same answer from one refresh to the next.
 */
export async function slurmJobsByGpu(computeApps: string, procRoot: string): Promise<Map<string, string>> {
  const jobs = new Map<string, string>();
  for (const [uuid, pids] of parseComputeApps(computeApps)) {
    for (const pid of [...pids].sort((a, b) => a - b)) {
      const job = await slurmJobOf(procRoot, pid);
      if (job === undefined) continue;
      jobs.set(uuid, job);
      break;
    }
  }
  return jobs;
}
