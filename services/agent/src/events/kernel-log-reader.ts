import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@kiln/log';

export interface KernelLogReaderOptions {
  /** /dev/kmsg, or a file or FIFO of the same records or of plain lines. */
  path: string;
  /** Run instead when `path` cannot be opened (no permission, no such device): it must follow the log on stdout. */
  fallbackCommand: readonly string[];
  log: Logger;
  onLine: (line: string) => void;
}

/** How long the reader waits when nothing is there to read: /dev/kmsg is opened non-blocking and polled. */
const IDLE_POLL_MS = 200;
/** Room for the longest kmsg record (the kernel caps one at 1 KiB of text plus its dictionary). */
const READ_BYTES = 16 * 1024;
const RESTART_COMMAND_MS = 5_000;

/**
 * Follows the kernel log line by line. The path is opened non-blocking and polled, which suits all it may be:
 * /dev/kmsg (one record per read, EAGAIN when there is none, EPIPE when the ring buffer overwrote the next one), a
 * FIFO (EOF while no writer is attached, data again once one is) and a regular file (read on from where it was, like
 * tail -f). Where the path cannot be opened, the fallback command (journalctl -k -f) is run and restarted if it ends.
 */
export class KernelLogReader {
  private stopped = false;
  private child: ChildProcess | undefined;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(private readonly options: KernelLogReaderOptions) {
    this.done = this.run().catch((err: unknown) =>
      options.log.error(
        { path: options.path, err: String(err) },
        'reading the kernel log failed: no more Xid events until the agent restarts',
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.child?.kill();
    await this.done;
  }

  private async run(): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.options.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (this.options.fallbackCommand.length === 0) {
        this.options.log.warn(
          { path: this.options.path, err: String(err) },
          'cannot read the kernel log: no Xid events',
        );
        return;
      }
      this.options.log.warn(
        { path: this.options.path, err: String(err), command: this.options.fallbackCommand },
        'cannot open the kernel log; following the journal instead',
      );
      await this.followCommand();
      return;
    }
    try {
      await this.follow(handle);
    } finally {
      await handle.close();
    }
  }

  private async follow(handle: FileHandle): Promise<void> {
    const regular = (await handle.stat()).isFile();
    const buffer = Buffer.alloc(READ_BYTES);
    let position = 0;
    let carry = '';
    while (!this.stopped) {
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(buffer, 0, buffer.length, regular ? position : null));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // kmsg: records were overwritten before we read them; the next read goes on
        if (code !== 'EAGAIN') throw err;
        n = 0;
      }
      if (n === 0) {
        await this.pause(IDLE_POLL_MS);
        continue;
      }
      position += n;
      const lines = (carry + buffer.toString('utf8', 0, n)).split('\n');
      carry = lines.pop()!;
      for (const line of lines) this.options.onLine(line);
    }
  }

  private async followCommand(): Promise<void> {
    const [command, ...args] = this.options.fallbackCommand as [string, ...string[]];
    let runnable = true;
    while (!this.stopped && runnable) {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      this.child = child;
      const ended = new Promise<void>((resolve) => {
        child.once('error', (err) => {
          // Not installed or not executable: trying again would not help.
          this.options.log.warn({ command, err: String(err) }, 'cannot follow the journal: no Xid events');
          runnable = false;
          resolve();
        });
        child.once('close', () => resolve());
      });
      createInterface({ input: child.stdout }).on('line', (line) => this.options.onLine(line));
      await ended;
      if (!this.stopped && runnable) await this.pause(RESTART_COMMAND_MS);
    }
  }

  /** Waits, or less when stop() comes. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}
