import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LogThrottle, type Logger } from '@kiln/log';
import { Backoff } from '@kiln/flow';

export interface SupervisedProcessOptions {
  command: string;
  /** Arguments for each start (they may change between starts). */
  args(): string[];
  onLine(line: string): void;
  /** The process exited (or could not start) while supervision was on; `output` holds its last lines, both streams.
   *  Return 'now' to restart at once (the arguments were fixed), 'backoff' to restart after the back-off delay. */
  onExit(code: number | null, signal: NodeJS.Signals | null, output: readonly string[]): 'now' | 'backoff';
  log: Logger;
  /** Back-off between restarts: 1 s doubling to 30 s by default. */
  backoff?: Backoff;
  /** A run at least this long resets the back-off (default 60 s). */
  stableAfterMs?: number;
}

const OUTPUT_TAIL = 20;

/**
 * Keeps one long-lived child process running: its stdout is read line by line, stderr is kept for diagnosis, and
 * when it dies it is started again (at once or after a back-off) until stop().
 */
export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private exitWaiters: (() => void)[] = [];
  private readonly stderrLines = new LogThrottle();
  /** Starts so far (the first included). */
  starts = 0;

  constructor(private readonly options: SupervisedProcessOptions) {
    this.backoff = options.backoff ?? new Backoff({ initialDelayMs: 1000, maxDelayMs: 30_000 });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopped) return;
    const { command, log } = this.options;
    const args = this.options.args();
    const startedAt = Date.now();
    const output: string[] = [];
    const keep = (line: string): void => {
      output.push(line);
      if (output.length > OUTPUT_TAIL) output.shift();
    };
    this.starts++;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.length === 0) return;
      keep(line);
      this.options.onLine(line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.length === 0) return;
      keep(line);
      this.logStderr(line);
    });
    let ended = false;
    const onEnd = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      this.child = undefined;
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      for (const w of waiters) w();
      if (this.stopped) return;
      if (Date.now() - startedAt >= (this.options.stableAfterMs ?? 60_000)) this.backoff.reset();
      const how = this.options.onExit(code, signal, output);
      const delay = how === 'now' ? 0 : this.backoff.next();
      log.warn(
        { command, code, signal, restartInMs: delay, output: output.slice(-5) },
        'source process exited; restarting',
      );
      this.restartTimer = setTimeout(() => this.start(), delay);
    };
    child.on('error', (err) => {
      keep(String(err));
      onEnd(null, null);
    });
    // 'close' comes after both output streams ended, so every line has been delivered.
    child.on('close', (code, signal) => onEnd(code, signal));
  }

  /** A failing GPU makes nvidia-smi repeat the same complaint every probe: log a line when it changes, or each minute. */
  private logStderr(line: string): void {
    if (!this.stderrLines.allow(line)) return;
    this.options.log.warn({ command: this.options.command, stderr: line }, 'source process wrote to stderr');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(force);
  }
}
