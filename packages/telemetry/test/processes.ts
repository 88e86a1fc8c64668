import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built CLI (`npm run build` first) and the agent's own program. */
export const KILN_BIN = join(repo, 'services', 'cli', 'bin', 'kiln.js');
export const KILN_AGENT_BIN = join(repo, 'services', 'agent', 'bin', 'kiln-agent.js');
export const SELF_ALERT_RULES = join(repo, 'deploy', 'kiln-self-alerts.yaml');
export const PIPELINE_DASHBOARD = join(repo, 'deploy', 'grafana', 'dashboards', 'kiln-pipeline.json');

/** A real child process whose every output line is kept (the logs are what some tests read). */
export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines(): string[];
  /** The last lines, for failure messages. */
  tail(n?: number): string;
  /** SIGTERM, SIGKILL after the grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export function startProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): RunningProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const split = (): ((d: Buffer) => void) => {
    let partial = '';
    return (d) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    };
  };
  child.stdout?.on('data', split());
  child.stderr?.on('data', split());
  // A program that is not installed (prometheus, from the Debian package of that name) says so in the diagnostics.
  child.on('error', (err) => lines.push(`${name} could not start: ${err.message}`));
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return {
    name,
    child,
    lines: () => lines,
    tail: (n = 40) => `--- ${name}\n${lines.slice(-n).join('\n')}`,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** One sample's value from Prometheus text, e.g. sampleValue(text, 'kiln_ingest_samples_stored_total'). */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}
