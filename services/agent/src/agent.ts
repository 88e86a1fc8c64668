import { hostname as machineHostname } from 'node:os';
import { resolve } from 'node:path';
import type { ConnectionOptions } from '@nats-io/nats-core';
import type { KilnConfig } from '@kiln/config';
import { createLogger, type Logger } from '@kiln/log';
import { encodeMessage, gpuSubject, MessageWriter, messageId } from '@kiln/wire';
import type { Collector, CollectorFacts } from './collectors/collector.js';
import { DcgmCollector } from './collectors/dcgm/collector.js';
import { NvidiaSmiCollector } from './collectors/nvidia-smi/collector.js';
import { SimCollector } from './collectors/sim.js';
import { GPU_SLOTS, GpuFrame } from './gpu-frame.js';
import { resolveIdentity, type AgentIdentity } from './identity.js';
import { XidEvents, type XidEventStats } from './events/xid-events.js';
import { agentConnectionOptions, NatsLink } from './publish/nats-link.js';
import type { Publisher } from './publish/publisher.js';
import { Sequence } from './publish/sequence.js';
import type { Spool } from './publish/spool.js';
import { spooledPublisher } from './publish/spooled-publisher.js';

type AgentSection = KilnConfig['agent'];

export interface AgentDeps {
  /** Default: createLogger('agent') (JSON lines on stderr). */
  log?: Logger;
  /** The machine's host name, for identity discovery; default os.hostname(). */
  hostname?: string;
  /** Overrides nats.url. */
  servers?: string | string[];
}

export interface AgentStats {
  connected: boolean;
  /** Ticks taken; those that produced a message; those with no GPU to report; ticks skipped because one overran. */
  ticks: number;
  messages: number;
  emptyTicks: number;
  skippedTicks: number;
  /** GPU indexes expected but absent from the latest tick. */
  missingGpus: number[];
  /** The seq the next message gets. */
  nextSeq: number;
  /** Acknowledged fresh messages, acknowledged spooled messages, and how many of either were duplicates. */
  published: number;
  replayed: number;
  duplicates: number;
  publishFailures: number;
  /** Messages put in the spool, waiting there now, its size, and those dropped unsent (full, too old, unreadable). */
  spooled: number;
  /** Lost because the spool could not be written (disk full). */
  unspoolable: number;
  spoolPending: number;
  spoolBytes: number;
  spoolDroppedFull: number;
  spoolDroppedAge: number;
  spoolDroppedCorrupt: number;
  collectorRejected: number;
  collectorFailures: number;
  /** Xid events from the kernel log; absent when they are off (agent.xid_events, source sim). */
  xidEvents?: XidEventStats;
}

export interface Agent {
  readonly identity: AgentIdentity;
  /** kiln.v1.gpu.<cluster>.<rack>.<host> */
  readonly subject: string;
  readonly source: string;
  /** Where the spool and the sequence live. */
  readonly spoolDir: string;
  stats(): AgentStats;
  /** Stops sampling; what is in flight is awaited and anything unacknowledged is spooled for the next start. */
  stop(): Promise<void>;
}

/** The agent section is unusable as given. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

/**
 * Starts the agent of one GPU host: reads its GPUs once per agent.interval_ms from the configured source and
 * publishes one wire-v1 message per tick to kiln.v1.gpu.<cluster>.<rack>.<host> with Nats-Msg-Id <host>:<seq>.
 * NATS being away at start or later loses nothing: samples wait in the spool and are replayed in order. Resolves once
 * the source answers (it does not wait for NATS); rejects when the source cannot be used or the host cannot be named.
 */
export async function startAgent(config: KilnConfig, deps: AgentDeps = {}): Promise<Agent> {
  const log = deps.log ?? createLogger('agent');
  const section = config.agent;
  const hostname = deps.hostname ?? machineHostname();
  let collector: Collector;
  let facts: CollectorFacts;
  let identity: AgentIdentity | undefined;
  if (section.source === 'sim') {
    identity = resolveIdentity({ configured: section, hostname, facts: {} });
    collector = new SimCollector({
      rack: identity.rack,
      host: identity.host,
      seed: config.simulate.seed,
      intervalMs: section.interval_ms,
      faults: config.simulate.faults,
    });
    facts = await collector.start();
  } else {
    if (section.source === 'dcgm') {
      if (section.dcgm_url === undefined)
        throw new AgentConfigError(
          'agent.dcgm_url is required with agent.source dcgm (e.g. http://127.0.0.1:9400/metrics)',
        );
      collector = new DcgmCollector({ url: section.dcgm_url, intervalMs: section.interval_ms, log });
    } else {
      collector = new NvidiaSmiCollector({
        command: section.nvidia_smi ?? 'nvidia-smi',
        intervalMs: section.interval_ms,
        limitsRefreshMs: section.limits_refresh_ms,
        nvlinkRefreshMs: section.nvlink_refresh_ms,
        jobsRefreshMs: section.jobs_refresh_ms,
        procRoot: section.proc_root,
        log,
      });
    }
    facts = await collector.start();
  }
  let connection: ConnectionOptions;
  try {
    identity ??= resolveIdentity({ configured: section, hostname, facts });
    connection = await agentConnectionOptions(config.nats, identity.host);
  } catch (err) {
    await collector.stop();
    throw err;
  }
  if (deps.servers !== undefined) connection.servers = deps.servers;
  const spoolDir = resolve(config.data_dir, section.spool_dir ?? 'agent');
  const xidEvents =
    section.source !== 'sim' && section.xid_events.enabled
      ? new XidEvents({ section, identity, spoolDir, log })
      : undefined;
  const runtime = new AgentRuntime(config.agent, log, collector, identity, facts, spoolDir, connection, xidEvents);
  log.info(
    {
      ...identity,
      source: collector.source,
      intervalMs: section.interval_ms,
      spoolDir,
      nextSeq: runtime.sequence.peek,
      expectedGpus: runtime.expectedGpus,
    },
    'agent started',
  );
  return runtime;
}

class AgentRuntime implements Agent {
  readonly subject: string;
  readonly source: string;
  readonly sequence: Sequence;
  readonly expectedGpus: number;
  private readonly spool: Spool;
  private readonly publisher: Publisher;
  private readonly link: NatsLink;
  private readonly frame = new GpuFrame();
  private readonly writer: MessageWriter;
  private readonly intervalMs: number;
  private readonly everSeen = new Uint8Array(GPU_SLOTS);
  private readonly missing = new Uint8Array(GPU_SLOTS);
  private readonly lastUuid: string[] = new Array<string>(GPU_SLOTS).fill('');
  private readonly counts = { ticks: 0, messages: 0, emptyTicks: 0, skippedTicks: 0 };
  private nextDue: number;
  private lastTs = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    section: AgentSection,
    private readonly log: Logger,
    private readonly collector: Collector,
    readonly identity: AgentIdentity,
    facts: CollectorFacts,
    readonly spoolDir: string,
    connection: ConnectionOptions,
    private readonly xidEvents: XidEvents | undefined,
  ) {
    this.source = collector.source;
    this.subject = gpuSubject(identity.cluster, identity.rack, identity.host);
    this.intervalMs = section.interval_ms;
    this.expectedGpus = section.expected_gpus ?? facts.expectedGpus ?? 0;
    this.writer = new MessageWriter(identity.cluster, identity.rack, identity.host, GPU_SLOTS);
    this.sequence = new Sequence(spoolDir, log);
    ({ spool: this.spool, publisher: this.publisher } = spooledPublisher(spoolDir, section, log));
    // Ticks start at once and are spooled until NATS answers.
    this.link = new NatsLink({
      options: connection,
      log,
      onOnline: (js) => {
        this.publisher.online(js);
        this.xidEvents?.online(js);
      },
      onOffline: () => {
        this.publisher.offline();
        this.xidEvents?.offline();
      },
    });
    // The first tick comes one interval in, once the source has had time to answer.
    this.nextDue = Date.now() + this.intervalMs;
    this.schedule();
  }

  stats(): AgentStats {
    const p = this.publisher.counters;
    const s = this.spool.counters;
    return {
      connected: this.publisher.isConnected,
      ...this.counts,
      missingGpus: [...this.missing.keys()].filter((i) => this.missing[i] === 1),
      nextSeq: this.sequence.peek,
      published: p.live,
      replayed: p.replayed,
      duplicates: p.duplicates,
      publishFailures: p.failures,
      spooled: p.spooled,
      unspoolable: p.unspoolable,
      spoolPending: this.spool.pending,
      spoolBytes: this.spool.bytes,
      spoolDroppedFull: s.droppedFull,
      spoolDroppedAge: s.droppedAge,
      spoolDroppedCorrupt: s.droppedCorrupt,
      collectorRejected: this.collector.stats.rejected,
      collectorFailures: this.collector.stats.failures,
      ...(this.xidEvents !== undefined ? { xidEvents: this.xidEvents.stats() } : {}),
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.collector.stop();
    await this.xidEvents?.stop();
    await this.publisher.close();
    this.sequence.close();
    this.spool.close();
    await this.link.stop();
    this.log.info({ ...this.identity, nextSeq: this.sequence.peek, spoolPending: this.spool.pending }, 'agent stopped');
  }

  /** Next tick on the interval grid; ticks missed while one overran are skipped, not bunched. */
  private schedule(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.nextDue < now - this.intervalMs) {
      const missed = Math.floor((now - this.nextDue) / this.intervalMs);
      this.counts.skippedTicks += missed;
      this.nextDue += missed * this.intervalMs;
    }
    this.timer = setTimeout(
      () => {
        this.ticking = this.tick().catch((err: unknown) => this.log.error({ err: String(err) }, 'tick failed'));
      },
      Math.max(0, this.nextDue - now),
    );
  }

  private async tick(): Promise<void> {
    const ts = Math.max(Date.now(), this.lastTs + 1);
    this.lastTs = ts;
    this.nextDue += this.intervalMs;
    this.counts.ticks++;
    try {
      const frame = this.frame;
      frame.clear();
      await this.collector.read(frame, ts);
      this.noteMissing(frame);
      const seq = this.sequence.peek;
      const message = frame.toMessage(this.writer, seq, ts);
      if (message === undefined) {
        this.counts.emptyTicks++;
        return;
      }
      this.sequence.next();
      this.publisher.submit({
        subject: this.subject,
        msgId: messageId(this.identity.host, seq),
        ts,
        body: encodeMessage(message),
      });
      this.counts.messages++;
    } finally {
      this.schedule();
    }
  }

  /** Reports a GPU that stops appearing (and its return) once, not every tick: absent values are never invented. */
  private noteMissing(frame: GpuFrame): void {
    for (let index = 0; index < GPU_SLOTS; index++) {
      if (frame.present[index] === 1) {
        this.everSeen[index] = 1;
        this.lastUuid[index] = frame.uuids[index]!;
        if (this.missing[index] === 1) {
          this.missing[index] = 0;
          this.log.info({ gpu: index, uuid: frame.uuids[index] }, 'GPU reports again');
        }
      } else if ((index < this.expectedGpus || this.everSeen[index] === 1) && this.missing[index] === 0) {
        this.missing[index] = 1;
        this.log.warn(
          { gpu: index, uuid: this.lastUuid[index] || undefined, source: this.source },
          'GPU missing from the source (fallen off the bus?): left out of the samples until it reports again',
        );
      }
    }
  }
}
