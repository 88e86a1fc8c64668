import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for a nats-server child process with JetStream enabled. */
export interface NatsServerOptions {
  /** Directory for the JetStream store, the generated config and the ports file. */
  dir: string;
  /** Client port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Extra configuration text appended to the generated file (authorization blocks, cluster, …). */
  extraConfig?: string;
  /** Server name (a cluster needs distinct names). */
  name?: string;
  /** Path of the binary; defaults to `nats-server` from PATH. */
  binary?: string;
  /** Where the server's own log goes; defaults to `<dir>/nats-server.log`. */
  logFile?: string;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly configFile: string;
  /** SIGTERM and wait for exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** SIGKILL, no cleanup: for crash tests. */
  kill(): Promise<void>;
}

/** Thrown when the nats-server binary is not installed. */
export class NatsServerMissingError extends Error {
  constructor(binary: string) {
    super(
      `'${binary}' was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install nats-server; ` +
        `other systems: https://docs.nats.io/running-a-nats-service/introduction/installation) ` +
        `or set nats.url to use an existing NATS server.`,
    );
    this.name = 'NatsServerMissingError';
  }
}

export function findOnPath(binary: string): string | undefined {
  if (binary.includes('/')) return existsSync(binary) ? binary : undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir || '.', binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Starts nats-server with JetStream storing under `dir`, waits until it accepts clients and returns a handle.
 * Port 0 lets the server choose; the chosen port is read back from the ports file, so parallel test suites never race
 * for a port.
 */
export async function startNatsServer(opts: NatsServerOptions): Promise<NatsServerHandle> {
  const binary = opts.binary ?? 'nats-server';
  const resolved = findOnPath(binary);
  if (!resolved) throw new NatsServerMissingError(binary);
  const host = opts.host ?? '127.0.0.1';
  await mkdir(join(opts.dir, 'jetstream'), { recursive: true });
  const portsDir = join(opts.dir, 'ports');
  await rm(portsDir, { recursive: true, force: true });
  await mkdir(portsDir, { recursive: true });
  const configFile = join(opts.dir, 'nats-server.conf');
  const logFile = opts.logFile ?? join(opts.dir, 'nats-server.log');
  const config = [
    `server_name: ${JSON.stringify(opts.name ?? 'kiln')}`,
    `listen: ${JSON.stringify(`${host}:${opts.port && opts.port > 0 ? opts.port : -1}`)}`,
    `ports_file_dir: ${JSON.stringify(portsDir)}`,
    `log_file: ${JSON.stringify(logFile)}`,
    `max_payload: 1048576`,
    `jetstream { store_dir: ${JSON.stringify(join(opts.dir, 'jetstream'))} }`,
    opts.extraConfig ?? '',
  ].join('\n');
  await writeFile(configFile, config + '\n');
  // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the server must outlive the
  // parent's shutdown (the last batch is stored through it). The parent stops it, and kills it if it exits first.
  const child = spawn(resolved, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${resolved}`);

  const portsFile = join(portsDir, `nats-server_${pid}.ports`);
  const deadline = Date.now() + 15_000;
  let port = 0;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const log = existsSync(logFile) ? (await readFile(logFile, 'utf8')).slice(-2000) : '';
      throw new Error(`nats-server exited with code ${exited}: ${stderr}${log}`);
    }
    if (existsSync(portsFile)) {
      try {
        const ports = JSON.parse(await readFile(portsFile, 'utf8')) as { nats?: string[] };
        const first = ports.nats?.[0];
        if (first) {
          port = Number(new URL(first).port);
          break;
        }
      } catch {
        // partially written; try again
      }
    }
    await sleep(25);
  }
  if (!port) {
    child.kill('SIGKILL');
    throw new Error(`nats-server did not report its port within 15 s: ${stderr}`);
  }
  const waitExit = (): Promise<void> =>
    exited !== undefined ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
  return {
    url: `nats://${host}:${port}`,
    port,
    pid,
    process: child,
    configFile,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await waitExit();
      clearTimeout(timer);
    },
    async kill() {
      if (exited !== undefined) return;
      child.kill('SIGKILL');
      await waitExit();
    },
  };
}
