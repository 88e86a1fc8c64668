import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@kiln/log';

/** One message waiting for NATS. */
export interface SpoolRecord {
  subject: string;
  msgId: string;
  /** The sample's event time (Unix ms): the age bound is measured on it. */
  ts: number;
  body: string;
}

/** A record read back, with its place in the spool (for commit). */
export interface SpooledRecord extends SpoolRecord {
  readonly segment: number;
  /** Byte offset just after the record, and its 1-based position in its segment. */
  readonly end: number;
  readonly ordinal: number;
}

export interface SpoolOptions {
  dir: string;
  /** Disk budget: appending past it drops the oldest segment. */
  maxBytes: number;
  /** Samples older than this (by their ts) are dropped instead of sent. */
  maxAgeMs: number;
  log: Logger;
  now?: () => number;
}

export interface SpoolCounters {
  /** Records appended since start. */
  appended: number;
  /** Records dropped unsent because the spool was full. */
  droppedFull: number;
  /** Records dropped unsent because they were older than maxAgeMs. */
  droppedAge: number;
  /** Unreadable records skipped (a damaged file). */
  droppedCorrupt: number;
}

interface Segment {
  id: number;
  bytes: number;
  records: number;
  /** ts of its last record. */
  newestTs: number;
}

const SEGMENT_SUFFIX = '.seg';
const READ_CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * A disk queue of messages that could not be published: append-only segment files of lines
 * `<ts> <subject> <msg-id> <body>` (the JSON body holds no raw newline), and a cursor file naming the first record not
 * yet known to be stored. Records come back in the order they went in. Bounded by size (appending past maxBytes drops
 * the oldest segment) and by age (records older than maxAgeMs are dropped when met); every drop is counted and
 * logged. After a restart the spool resumes at its cursor: records delivered but not yet committed are sent again,
 * which JetStream answers as duplicates (same Nats-Msg-Id).
 *
 * Appends are synchronous (one write of one line): a tick never waits on the replay, and a crash loses at most what
 * the operating system had not yet written back.
 */
export class Spool {
  readonly counters: SpoolCounters = { appended: 0, droppedFull: 0, droppedAge: 0, droppedCorrupt: 0 };
  private readonly segments: Segment[] = [];
  private readonly segmentBytes: number;
  private readonly now: () => number;
  /** The segment being appended to and its file descriptor. */
  private active: Segment | undefined;
  private fd: number | undefined;
  private nextId = 1;
  /** First record not known to be stored: segment id, byte offset, records before it in that segment. */
  private cursor = { segment: 0, offset: 0, consumed: 0 };
  private totalBytes = 0;

  constructor(private readonly options: SpoolOptions) {
    this.now = options.now ?? Date.now;
    this.segmentBytes = Math.min(16 << 20, Math.max(64 << 10, Math.floor(options.maxBytes / 16)));
    mkdirSync(options.dir, { recursive: true });
    this.recover();
  }

  /** Records waiting to be sent. */
  get pending(): number {
    let n = 0;
    for (const s of this.segments) n += s.records;
    return n - (this.segments[0]?.id === this.cursor.segment ? this.cursor.consumed : 0);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  append(record: SpoolRecord): void {
    const line = `${record.ts} ${record.subject} ${record.msgId} ${record.body}\n`;
    const size = Buffer.byteLength(line);
    this.dropExpiredSegments();
    while (this.segments.length > 0 && this.totalBytes + size > this.options.maxBytes) this.dropOldest('full');
    let active = this.active;
    if (active === undefined || (active.bytes > 0 && active.bytes + size > this.segmentBytes)) active = this.rotate();
    writeSync(this.fd!, line);
    active.bytes += size;
    active.records++;
    active.newestTs = record.ts;
    this.totalBytes += size;
    this.counters.appended++;
  }

  /**
   * Up to `max` records from the cursor, in order (fewer at a segment's end; none when all are delivered). Records
   * past the age bound at the front are dropped on the way. Nothing moves until commit().
   */
  async read(max: number): Promise<SpooledRecord[]> {
    for (;;) {
      const segment = this.segments[0];
      if (segment === undefined) return [];
      this.alignCursor();
      if (this.cursor.offset >= segment.bytes) {
        if (!this.reclaimFront()) return [];
        continue;
      }
      const { offset, consumed } = this.cursor;
      const length = Math.min(READ_CHUNK, segment.bytes - offset);
      const chunk = Buffer.allocUnsafe(length);
      const handle = await open(this.segmentPath(segment.id), 'r');
      try {
        await handle.read(chunk, 0, length, offset);
      } finally {
        await handle.close();
      }
      // The segment may have been dropped, or the cursor moved, while we read.
      if (this.segments[0] !== segment || this.cursor.offset !== offset) continue;
      const records = this.parse(chunk, segment.id, offset, consumed, max);
      if (records.length > 0) return records;
      if (this.cursor.offset === offset)
        throw new Error(`spool segment ${segment.id} holds a record longer than ${READ_CHUNK} bytes`);
    }
  }

  /** Everything up to and including `record` is stored: move the cursor past it. */
  commit(record: SpooledRecord): void {
    if (record.segment !== this.cursor.segment || record.end <= this.cursor.offset) return;
    this.cursor.offset = record.end;
    this.cursor.consumed = record.ordinal;
    this.reclaimFront();
    this.persistCursor();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.active = undefined;
    this.persistCursor();
  }

  /** Parses complete lines of `chunk`; drops expired records found before the first one returned. */
  private parse(chunk: Buffer, segment: number, offset: number, consumed: number, max: number): SpooledRecord[] {
    const records: SpooledRecord[] = [];
    const oldest = this.now() - this.options.maxAgeMs;
    let start = 0;
    let ordinal = consumed;
    let expired = 0;
    let moved = false;
    while (records.length < max) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const line = chunk.toString('utf8', start, nl);
      start = nl + 1;
      ordinal++;
      const a = line.indexOf(' ');
      const b = line.indexOf(' ', a + 1);
      const c = line.indexOf(' ', b + 1);
      const ts = Number(line.slice(0, a));
      const corrupt = a < 0 || b < 0 || c < 0 || !Number.isFinite(ts);
      if (corrupt || ts < oldest) {
        if (records.length > 0) break; // the next read drops it, with the rest of its run
        if (corrupt) {
          this.counters.droppedCorrupt++;
          this.options.log.error(
            { segment, byte: offset + start - line.length - 1 },
            'unreadable spool record dropped',
          );
        } else expired++;
        this.cursor.offset = offset + start;
        this.cursor.consumed = ordinal;
        moved = true;
        continue;
      }
      records.push({
        ts,
        subject: line.slice(a + 1, b),
        msgId: line.slice(b + 1, c),
        body: line.slice(c + 1),
        segment,
        end: offset + start,
        ordinal,
      });
    }
    if (expired > 0) {
      this.counters.droppedAge += expired;
      this.options.log.warn(
        { dropped: expired, maxAgeMs: this.options.maxAgeMs },
        'spooled samples older than spool_max_age_ms dropped',
      );
    }
    if (moved) this.persistCursor();
    return records;
  }

  /** Opens a new segment for appending. */
  private rotate(): Segment {
    if (this.fd !== undefined) closeSync(this.fd);
    const segment: Segment = { id: this.nextId++, bytes: 0, records: 0, newestTs: 0 };
    this.fd = openSync(this.segmentPath(segment.id), 'a');
    this.segments.push(segment);
    this.active = segment;
    return segment;
  }

  /** Drops the oldest segment unsent. */
  private dropOldest(reason: 'full' | 'age'): void {
    const segment = this.segments.shift()!;
    const lost = segment.records - (segment.id === this.cursor.segment ? this.cursor.consumed : 0);
    if (segment === this.active) {
      closeSync(this.fd!);
      this.fd = undefined;
      this.active = undefined;
    }
    unlinkSync(this.segmentPath(segment.id));
    this.totalBytes -= segment.bytes;
    if (reason === 'full') this.counters.droppedFull += lost;
    else this.counters.droppedAge += lost;
    this.options.log.warn(
      reason === 'full'
        ? { dropped: lost, maxBytes: this.options.maxBytes, pending: this.pending }
        : { dropped: lost, maxAgeMs: this.options.maxAgeMs, pending: this.pending },
      reason === 'full' ? 'spool full: oldest samples dropped' : 'spooled samples older than spool_max_age_ms dropped',
    );
    this.alignCursor();
    this.persistCursor();
  }

  private dropExpiredSegments(): void {
    const oldest = this.now() - this.options.maxAgeMs;
    while (this.segments.length > 0 && this.segments[0]!.records > 0 && this.segments[0]!.newestTs < oldest)
      this.dropOldest('age');
  }

  /** Deletes the front segment once everything in it is delivered (the next append starts a new one). */
  private reclaimFront(): boolean {
    const front = this.segments[0];
    if (front === undefined || this.cursor.segment !== front.id || this.cursor.offset < front.bytes) return false;
    if (front === this.active) {
      closeSync(this.fd!);
      this.fd = undefined;
      this.active = undefined;
    }
    this.segments.shift();
    unlinkSync(this.segmentPath(front.id));
    this.totalBytes -= front.bytes;
    this.alignCursor();
    return true;
  }

  /** Points the cursor at the front segment when its own segment is gone. */
  private alignCursor(): void {
    const front = this.segments[0];
    const id = front?.id ?? this.nextId;
    if (this.cursor.segment !== id) this.cursor = { segment: id, offset: 0, consumed: 0 };
  }

  private persistCursor(): void {
    const file = join(this.options.dir, 'cursor');
    writeFileSync(file + '.tmp', `${this.cursor.segment} ${this.cursor.offset}\n`);
    renameSync(file + '.tmp', file);
  }

  private segmentPath(id: number): string {
    return join(this.options.dir, String(id).padStart(12, '0') + SEGMENT_SUFFIX);
  }

  /** Loads the segments and the cursor left by a previous run; cuts a torn last line; deletes delivered segments. */
  private recover(): void {
    const ids = readdirSync(this.options.dir)
      .filter((f) => f.endsWith(SEGMENT_SUFFIX))
      .map((f) => Number(f.slice(0, -SEGMENT_SUFFIX.length)))
      .filter((id) => Number.isSafeInteger(id) && id > 0)
      .sort((a, b) => a - b);
    const saved = readCursor(join(this.options.dir, 'cursor'));
    for (const id of ids) {
      const path = this.segmentPath(id);
      if (saved && id < saved.segment) {
        unlinkSync(path);
        continue;
      }
      let data = readFileSync(path);
      const end = data.lastIndexOf(NEWLINE) + 1;
      if (end < data.length) {
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, end);
        closeSync(fd);
        data = data.subarray(0, end);
      }
      const segment: Segment = { id, bytes: end, records: 0, newestTs: 0 };
      for (let i = data.indexOf(NEWLINE); i >= 0; i = data.indexOf(NEWLINE, i + 1)) segment.records++;
      if (end > 0) {
        const lastStart = data.lastIndexOf(NEWLINE, end - 2) + 1;
        segment.newestTs = Number(data.toString('utf8', lastStart, data.indexOf(0x20, lastStart)));
      }
      if (saved && id === saved.segment) {
        const offset = Math.min(saved.offset, end);
        let consumed = 0;
        for (let i = data.indexOf(NEWLINE); i >= 0 && i < offset; i = data.indexOf(NEWLINE, i + 1)) consumed++;
        this.cursor = { segment: id, offset, consumed };
      }
      this.segments.push(segment);
      this.totalBytes += end;
      this.nextId = id + 1;
    }
    this.alignCursor();
    const pending = this.pending;
    if (pending > 0)
      this.options.log.info(
        { pending, bytes: this.totalBytes },
        'spool holds samples from an earlier run; they are sent first',
      );
  }
}

function readCursor(file: string): { segment: number; offset: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [segment, offset] = text.trim().split(' ').map(Number);
  return Number.isSafeInteger(segment) && Number.isSafeInteger(offset)
    ? { segment: segment!, offset: offset! }
    : undefined;
}
