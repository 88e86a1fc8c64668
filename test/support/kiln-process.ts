import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KILN_BIN = join(repo, 'services', 'cli', 'bin', 'kiln.js');

export interface KilnProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

/** Runs `kiln <args>` as a real child process, the way an operator would. */
export function spawnKiln(name: string, args: string[], env: Record<string, string> = {}): KilnProcess {
  const child = spawn(process.execPath, [KILN_BIN, ...args], {
    // Each process its own metrics port: several kiln processes share this host.
    env: { ...process.env, KILN_LOG_LEVEL: 'warn', KILN_METRICS_LISTEN: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  let code: number | null = null;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (c) => {
      exited = true;
      code = c;
      resolve(c);
    }),
  );
  return {
    name,
    child,
    output: () => out,
    alive: () => !exited,
    async stop(graceMs = 15_000) {
      if (exited) return code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const c = await exit;
      clearTimeout(timer);
      return c;
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
