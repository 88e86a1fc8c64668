import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A real child process whose every output line is kept (tests read logs, and print them when they fail). */
export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines(): string[];
  /** All output so far, for failure messages. */
  output(): string;
  /** The last lines, headed by the name, for failure messages. */
  tail(n?: number): string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/** `env` is added to this process's environment; `cwd` defaults to this process's. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): RunningProcess {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const split = (): ((d: Buffer) => void) => {
    let partial = '';
    return (d) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.length > 20_000) lines.splice(0, lines.length - 20_000);
    };
  };
  child.stdout?.on('data', split());
  child.stderr?.on('data', split());
  // A program that is not installed says so in the diagnostics instead of crashing the test process.
  child.on('error', (err) => lines.push(`${name} could not start: ${err.message}`));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    });
    child.once('error', () => {
      exited = true;
      resolve(null);
    });
  });
  return {
    name,
    child,
    lines: () => lines,
    output: () => lines.join('\n'),
    tail: (n = 40) => `--- ${name}\n${lines.slice(-n).join('\n')}`,
    alive: () => !exited,
    async stop(graceMs = 15_000) {
      if (exited) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
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
