import { MAX_JOB_LENGTH } from '@kiln/wire';
import type { Labels } from './exposition.js';

/**
 * The job a dcgm-exporter series names: `hpc_job` (set by the exporter's HPC job mapping, e.g. the Slurm job id)
 * when present, else `<namespace>/<pod>` (Kubernetes mode: a pod is the unit a job runs as, and the namespace keeps
 * two teams' same-named pods apart), else the pod alone. Undefined when none is set, empty or over the wire's length.
 */
export function jobOf(labels: Labels): string | undefined {
  const hpcJob = labels.get('hpc_job');
  if (hpcJob) return fits(hpcJob);
  const pod = labels.get('pod');
  if (!pod) return undefined;
  const namespace = labels.get('namespace');
  return fits(namespace ? `${namespace}/${pod}` : pod);
}

function fits(job: string): string | undefined {
  return job.length <= MAX_JOB_LENGTH ? job : undefined;
}
