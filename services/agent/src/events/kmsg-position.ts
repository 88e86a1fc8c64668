import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@kiln/log';

/** The last kmsg record the agent turned into an event: its boot and its sequence number within that boot. */
export interface KmsgMark {
  bootId: string;
  seq: number;
}

/**
 * Where the agent is in the kernel log, kept across restarts so that a restart neither publishes the ring buffer's
 * Xids again nor misses those logged while it was down. kmsg sequence numbers start again at each boot, so the mark
 * names its boot: a record of another boot than the mark's is new.
 */
export class KmsgPosition {
  private readonly file: string;
  private mark: KmsgMark | undefined;

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'kmsg-position');
    this.mark = readMark(this.file);
  }

  /** Whether a record of this boot and sequence comes after the mark; `undefined` when there is no mark yet. */
  isNew(bootId: string, seq: number): boolean | undefined {
    if (this.mark === undefined) return undefined;
    return this.mark.bootId !== bootId || seq > this.mark.seq;
  }

  advance(bootId: string, seq: number): void {
    this.mark = { bootId, seq };
    try {
      const tmp = this.file + '.tmp';
      writeFileSync(tmp, JSON.stringify(this.mark) + '\n');
      renameSync(tmp, this.file);
    } catch (err) {
      this.log.error(
        { file: this.file, err: String(err) },
        'cannot persist the kernel log position; a restart may publish recent Xids again',
      );
    }
  }
}

function readMark(file: string): KmsgMark | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<KmsgMark>;
    if (typeof parsed.bootId === 'string' && Number.isSafeInteger(parsed.seq))
      return { bootId: parsed.bootId, seq: parsed.seq! };
  } catch {
    // No mark (first start) or an unreadable one: treated alike, as a first start.
  }
  return undefined;
}
