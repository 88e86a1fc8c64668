import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogThrottle, type Logger } from '@kiln/log';

/** Sequence numbers reserved on disk at a time: a crash skips at most this many, and never reuses one. */
const RESERVE = 1000;

/**
 * The host's message sequence (the <seq> of Nats-Msg-Id <host>:<seq>), persisted so that a restarted agent never
 * reuses a number: JetStream would drop a reused id as a duplicate. Numbers are reserved in blocks (one small write
 * per 1000 ticks); a clean close records the exact next number. A fresh agent (no state, e.g. reinstalled) starts at
 * the current Unix time in milliseconds: ticks are at least 100 ms apart, so an earlier installation of the same host
 * counted far more slowly than the clock and its numbers lie below.
 */
export class Sequence {
  private nextSeq: number;
  private reserved: number;
  private readonly file: string;

  private readonly persistFailures = new LogThrottle();

  constructor(
    dir: string,
    private readonly log: Logger,
    now: number = Date.now(),
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'seq');
    this.nextSeq = readSeq(this.file) ?? now;
    this.reserved = this.nextSeq;
  }

  /** The number the next message gets. */
  get peek(): number {
    return this.nextSeq;
  }

  /**
   * The next number. When the reservation cannot be written (disk full), samples keep flowing and the error is logged:
   * reuse would need that and a crash and a restart within the stream's duplicate window, while refusing would lose
   * every sample for as long as the disk stays full.
   */
  next(): number {
    if (this.nextSeq >= this.reserved) {
      this.reserved = this.nextSeq + RESERVE;
      this.tryPersist(this.reserved);
    }
    return this.nextSeq++;
  }

  close(): void {
    this.tryPersist(this.nextSeq);
  }

  private tryPersist(value: number): void {
    try {
      this.persist(value);
    } catch (err) {
      if (!this.persistFailures.allow()) return;
      this.log.error({ file: this.file, err: String(err) }, 'cannot persist the message sequence');
    }
  }

  private persist(value: number): void {
    const tmp = this.file + '.tmp';
    writeFileSync(tmp, `${value}\n`);
    renameSync(tmp, this.file);
  }
}

function readSeq(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(
      `${file} holds no sequence number (${JSON.stringify(text.slice(0, 40))}); remove it to start afresh`,
    );
  return n;
}
