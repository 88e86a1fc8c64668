import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built CLI (`npm run build` first) and the agent's own program. */
export const KILN_BIN = join(repo, 'services', 'cli', 'bin', 'kiln.js');
export const KILN_AGENT_BIN = join(repo, 'services', 'agent', 'bin', 'kiln-agent.js');
export const SELF_ALERT_RULES = join(repo, 'deploy', 'kiln-self-alerts.yaml');
export const PIPELINE_DASHBOARD = join(repo, 'deploy', 'grafana', 'dashboards', 'kiln-pipeline.json');

export { freePort, startProcess, type RunningProcess } from '@kiln/testkit';

/** One sample's value from Prometheus text, e.g. sampleValue(text, 'kiln_ingest_samples_stored_total'). */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}
