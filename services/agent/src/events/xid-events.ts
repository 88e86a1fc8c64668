import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { clipUtf8, encodeEvent, eventMessageId, eventSubject, type XidEvent } from '@kiln/wire';
import type { AgentIdentity } from '../identity.js';
import type { Publisher, PublishCounters } from '../publish/publisher.js';
import { Sequence } from '../publish/sequence.js';
import type { Spool } from '../publish/spool.js';
import { spooledPublisher } from '../publish/spooled-publisher.js';
import { GpuBusMap } from './gpu-bus-map.js';
import { parseKernelLogLine, parseXidLine, type KernelLogRecord } from './kernel-log-record.js';
import { KernelLogReader } from './kernel-log-reader.js';
import { KmsgPosition } from './kmsg-position.js';

export interface XidEventsOptions {
  section: KilnConfig['agent'];
  identity: AgentIdentity;
  /** The agent's spool directory: events keep their own sequence, spool and kernel-log position under events/. */
  spoolDir: string;
  log: Logger;
  /** The running kernel's boot id and uptime, for kmsg records' boot and time. */
  boot?: { id: string; uptimeMs: number };
}

export interface XidEventStats {
  /** Xid events published or spooled since start. */
  events: number;
  publish: PublishCounters;
  spoolPending: number;
}

/**
 * Xids from the kernel log, published per the event contract: each NVRM Xid line becomes one event on
 * kiln.v1.event.<cluster>.<rack>.<host> with Nats-Msg-Id <host>:e<seq>, its GPU found by PCI address. Events go
 * through a Publisher and Spool of their own (a host cut off from NATS replays them later, in order).
 *
 * Which kmsg records count: those after the persisted position (boot id and kmsg seq of the last Xid published), so a
 * restart publishes the Xids logged while the agent was down and none twice; on a first start, only records logged
 * since the agent started, so installing the agent does not page for the ring buffer's old Xids. Plain lines (the
 * journal fallback, which follows from the present) count as they come.
 */
export class XidEvents {
  private readonly publisher: Publisher;
  private readonly spool: Spool;
  private readonly sequence: Sequence;
  private readonly position: KmsgPosition;
  private readonly busMap: GpuBusMap;
  private readonly reader: KernelLogReader;
  private readonly subject: string;
  private readonly bootId: string;
  private readonly bootWallMs: number;
  private readonly startedBootUs: number;
  private handling: Promise<void> = Promise.resolve();
  private events = 0;

  constructor(private readonly options: XidEventsOptions) {
    const { section, identity, log } = options;
    const dir = join(options.spoolDir, 'events');
    const boot = options.boot ?? runningKernel();
    this.bootId = boot.id;
    this.bootWallMs = Date.now() - boot.uptimeMs;
    this.startedBootUs = boot.uptimeMs * 1000;
    this.subject = eventSubject(identity.cluster, identity.rack, identity.host);
    this.sequence = new Sequence(dir, log);
    this.position = new KmsgPosition(dir, log);
    ({ spool: this.spool, publisher: this.publisher } = spooledPublisher(dir, section, log));
    this.busMap = new GpuBusMap(section.nvidia_smi ?? 'nvidia-smi', log);
    // The map is read before the first line is handled: lines queue behind it.
    this.handling = this.busMap.refresh();
    this.reader = new KernelLogReader({
      path: section.xid_events.kmsg,
      fallbackCommand: section.xid_events.journal_command,
      log,
      onLine: (line) => {
        const record = parseKernelLogLine(line);
        if (record === undefined || !this.counts(record)) return;
        const xid = parseXidLine(record.text);
        if (xid === undefined) return;
        this.handling = this.handling
          .then(async () => this.publish(record, xid.code, xid.message, await this.busMap.lookup(xid.pci)))
          .catch((err: unknown) => log.error({ err: String(err) }, 'Xid event not published'));
      },
    });
  }

  online(js: JetStreamClient): void {
    this.publisher.online(js);
  }

  offline(): void {
    this.publisher.offline();
  }

  stats(): XidEventStats {
    return { events: this.events, publish: this.publisher.counters, spoolPending: this.spool.pending };
  }

  async stop(): Promise<void> {
    await this.reader.stop();
    await this.handling;
    await this.publisher.close();
    this.sequence.close();
    this.spool.close();
  }

  /** Whether a record is one to publish (see the class comment). */
  private counts(record: KernelLogRecord): boolean {
    if (record.seq === undefined) return true;
    return this.position.isNew(this.bootId, record.seq) ?? (record.bootUs ?? 0) >= this.startedBootUs;
  }

  private publish(
    record: KernelLogRecord,
    code: number,
    message: string,
    gpu: { gpu: number; uuid: string } | undefined,
  ): void {
    const { cluster, rack, host } = this.options.identity;
    const now = Date.now();
    // A kmsg record's time is the kernel's, since boot; a plain line's is when it was read.
    const ts = record.bootUs === undefined ? now : Math.min(now, Math.round(this.bootWallMs + record.bootUs / 1000));
    const seq = this.sequence.next();
    const event: XidEvent = {
      v: 1,
      cluster,
      rack,
      host,
      seq,
      ts,
      kind: 'xid',
      ...(gpu ?? {}),
      code,
      message: clipUtf8(message),
    };
    this.publisher.submit({ subject: this.subject, msgId: eventMessageId(host, seq), ts, body: encodeEvent(event) });
    this.events++;
    if (record.seq !== undefined) this.position.advance(this.bootId, record.seq);
    this.options.log.warn({ gpu: event.gpu, uuid: event.uuid, code, message: event.message }, 'Xid');
  }
}

/** The boot id and uptime of the running kernel (/proc). */
function runningKernel(): { id: string; uptimeMs: number } {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    id: read('/proc/sys/kernel/random/boot_id'),
    uptimeMs: Math.round(Number(read('/proc/uptime').split(' ')[0] ?? 0) * 1000),
  };
}
