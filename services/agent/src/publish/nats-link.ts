import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { LogThrottle, type Logger } from '@kiln/log';
import { natsConnectionOptions, type NatsSection } from '@kiln/nats';
import { Backoff } from '@kiln/flow';

/**
 * Between attempts to reach NATS: from 500 ms to 15 s, jittered, so that a fleet of agents cut off by one outage
 * does not come back at the same instant and knock the recovering servers over again.
 */
export function reconnectBackoff(): Backoff {
  return new Backoff({ initialDelayMs: 500, maxDelayMs: 15_000 });
}

/** The reply-subject prefix of a host's agent: its PubAcks come back on `_INBOX_<host>.>`, which only it may read. */
export function agentInboxPrefix(host: string): string {
  return `_INBOX_${host}`;
}

/**
 * Connection options of a host's agent: the `nats` section's servers, credentials and TLS, the host's private inbox
 * prefix, and a ping interval short enough to notice a silent server within a minute.
 */
export async function agentConnectionOptions(section: NatsSection, host: string): Promise<ConnectionOptions> {
  const options = await natsConnectionOptions(section, {
    name: `kiln-agent@${host}`,
    inboxPrefix: agentInboxPrefix(host),
  });
  // The agent runs its own first-connect loop (NatsLink), so that it keeps spooling and can stop meanwhile.
  options.waitOnFirstConnect = false;
  options.pingInterval = 15_000;
  return options;
}

export interface NatsLinkOptions {
  options: ConnectionOptions;
  log: Logger;
  /** Connected (first time, or again after a disconnect). */
  onOnline(js: JetStreamClient): void;
  onOffline(): void;
}

/**
 * Keeps the agent connected: tries the first connection with back-off for as long as it takes (the agent spools
 * meanwhile), then lets nats.js reconnect, reporting each disconnect and reconnect. Server-side errors such as a
 * permissions violation are logged: a denied publish only times out at the caller.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private stopped = false;
  private readonly done: Promise<void>;
  private interrupt: (() => void) | undefined;

  constructor(private readonly opts: NatsLinkOptions) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.interrupt?.();
    await this.nc?.close().catch(() => undefined);
    await this.done;
  }

  private async run(): Promise<void> {
    const { log } = this.opts;
    const backoff = reconnectBackoff();
    const unreachable = new LogThrottle();
    while (!this.stopped) {
      let nc: NatsConnection;
      try {
        nc = await connect(this.opts.options);
      } catch (err) {
        if (unreachable.allow()) {
          log.warn(
            { servers: this.opts.options.servers, err: String(err) },
            'cannot reach NATS yet; spooling meanwhile',
          );
        }
        await this.sleep(backoff.next());
        continue;
      }
      backoff.reset();
      if (this.stopped) {
        await nc.close();
        return;
      }
      this.nc = nc;
      log.info({ server: nc.getServer() }, 'connected to NATS');
      const js = jetstream(nc);
      this.opts.onOnline(js);
      const watching = this.watch(nc, js);
      const closed = await nc.closed();
      await watching;
      this.opts.onOffline();
      this.nc = undefined;
      if (!this.stopped)
        log.warn({ err: closed ? String(closed) : undefined }, 'NATS connection closed; connecting again');
    }
  }

  private async watch(nc: NatsConnection, js: JetStreamClient): Promise<void> {
    const { log } = this.opts;
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.opts.onOffline();
          log.warn({ server: s.server }, 'disconnected from NATS; spooling');
          break;
        case 'reconnect':
          log.info({ server: s.server }, 'reconnected to NATS');
          this.opts.onOnline(js);
          break;
        case 'error':
          log.warn({ err: String(s.error) }, 'NATS server reported an error');
          break;
        default:
          break;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
