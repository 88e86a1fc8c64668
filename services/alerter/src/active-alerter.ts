import type { NatsConnection } from '@nats-io/nats-core';
import {
  AlertStore,
  Dispatcher,
  Inhibitor,
  NotificationLog,
  Notifier,
  Silences,
  type AppliedEvent,
  type NotificationLogEntry,
  type NotifyOutcome,
  type Silence,
  type StateStore,
  type StoredAlert,
} from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { streamOptions } from '@kiln/nats';
import type { Alerting } from './alerting-config.js';
import { consumeAlertEvents, type Intake, type IntakeCounters } from './intake.js';

/** The shared state the leader works on, one store per collection (KV buckets, fenced). */
export interface AlerterStores {
  readonly alerts: StateStore<StoredAlert>;
  readonly notificationLog: StateStore<NotificationLogEntry>;
  readonly silences: StateStore<Silence>;
}

export interface ActiveAlerterOptions {
  readonly config: KilnConfig;
  readonly nc: NatsConnection;
  readonly stores: AlerterStores;
  readonly log: Logger;
  readonly counters: IntakeCounters;
  readonly onChange: (applied: AppliedEvent) => void;
  readonly onOutcome: (outcome: NotifyOutcome) => void;
  /** The fence, asked before each notification is sent: false drops it (another alerter has taken over). */
  readonly mayDeliver: () => Promise<boolean>;
}

/** The routing half of the leader, rebuilt on reload: receivers, routes and inhibitions in a notifier and dispatcher. */
interface Engine {
  readonly notifier: Notifier;
  readonly dispatcher: Dispatcher;
}

/**
 * The alerter that leads: it loads the shared state (alerts, notification log, silences) from the stores, consumes
 * the alert stream, and groups, routes, silences, inhibits and notifies. A reload swaps the engine (receivers, routes,
 * inhibitions) over the same state: the new dispatcher regroups every stored alert and the notification log decides
 * what is still news, as after a restart, so a reload neither re-pages nor drops a due notification.
 */
export class ActiveAlerter {
  private engine: Engine;
  private intake: Intake | undefined;
  private swapping: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: ActiveAlerterOptions,
    readonly alerts: AlertStore,
    readonly silences: Silences,
    private readonly notificationLog: NotificationLog,
    alerting: Alerting,
  ) {
    this.engine = this.buildEngine(alerting);
  }

  static async start(alerting: Alerting, options: ActiveAlerterOptions): Promise<ActiveAlerter> {
    const a = options.config.alerter;
    const alerts = new AlertStore({
      store: options.stores.alerts,
      flap: { threshold: a.flap_threshold, windowMs: a.flap_window_ms, quietMs: a.flap_quiet_ms },
      retentionMs: a.retention_ms,
    });
    const silences = new Silences({ store: options.stores.silences, retentionMs: a.retention_ms });
    const notificationLog = new NotificationLog({ store: options.stores.notificationLog, retentionMs: a.retention_ms });
    await Promise.all([alerts.load(), silences.load(), notificationLog.load()]);
    const active = new ActiveAlerter(options, alerts, silences, notificationLog, alerting);
    active.engine.dispatcher.start();
    active.intake = await consumeAlertEvents(
      options.nc,
      {
        consumer: a.consumer,
        streams: streamOptions(options.config.nats),
        log: options.log,
        counters: options.counters,
      },
      async (event) => {
        await active.swapping;
        return active.engine.dispatcher.ingest(event);
      },
    );
    return active;
  }

  get dispatcher(): Dispatcher {
    return this.engine.dispatcher;
  }

  /** Swaps in receivers, routes and inhibitions; events arriving meanwhile wait for the new dispatcher. */
  async reload(alerting: Alerting): Promise<void> {
    const swap = this.swapping.then(async () => {
      await this.stopEngine(this.engine);
      this.engine = this.buildEngine(alerting);
      this.engine.dispatcher.start();
    });
    this.swapping = swap.catch(() => undefined);
    await swap;
  }

  /** Runs housekeeping: retention of resolved alerts, silences and log entries. */
  maintain(): Promise<void> {
    return this.engine.dispatcher.maintain();
  }

  /**
   * Stops consuming, then notifying: notifications in flight are cancelled and left out of the log, so whoever leads
   * next sends them again (a receiver that retries for minutes must not hold up a shutdown or a handover).
   */
  async stop(): Promise<void> {
    await this.intake?.stop();
    await this.swapping;
    await this.stopEngine(this.engine);
  }

  private buildEngine(alerting: Alerting): Engine {
    const a = this.options.config.alerter;
    const notifier = new Notifier({
      receivers: alerting.receivers,
      log: this.notificationLog,
      retry: { maxElapsedMs: a.retry_for_ms, requestTimeoutMs: a.timeout_ms },
      ...(a.external_url ? { externalURL: a.external_url } : {}),
      onOutcome: this.options.onOutcome,
      mayDeliver: this.options.mayDeliver,
    });
    const dispatcher = new Dispatcher({
      route: alerting.route,
      inhibitor: new Inhibitor(alerting.inhibitRules),
      silences: this.silences,
      alerts: this.alerts,
      notifier,
      onChange: this.options.onChange,
      onError: (err, what) => this.options.log.error({ err }, `alerter: ${what} failed`),
    });
    return { notifier, dispatcher };
  }

  private async stopEngine(engine: Engine): Promise<void> {
    await engine.dispatcher.stop();
    await engine.notifier.close();
  }
}
