import { hostname } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type {
  Alert,
  AlertStore,
  AppliedEvent,
  Dispatcher,
  NotificationLogEntry,
  NotifyOutcome,
  Silence,
  Silences,
  StoredAlert,
} from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';
import { parseListen } from '@kiln/http';
import type { Logger } from '@kiln/log';
import { ActiveAlerter } from './active-alerter.js';
import { AlertingConfigError, buildAlerting, type Alerting } from './alerting-config.js';
import { alertRoutes } from './api/alerts.js';
import { forwardRequest } from './api/forward.js';
import { ConfigReloadError, reloadRoutes } from './api/reload.js';
import { serveApi, type AlerterApi } from './api/server.js';
import { silenceRoutes } from './api/silences.js';
import { statusRoutes } from './api/status.js';
import { FencedStateStore } from './fenced-state-store.js';
import type { AlertHistoryEntry, AlertHistorySink } from './history.js';
import { KvStateStore } from './kv-state-store.js';
import { Leadership } from './leadership.js';
import { RecentChanges, uiRoutes } from './ui/index.js';

export class AlerterStats {
  events = 0;
  invalid = 0;
  firing = 0;
  resolved = 0;
  flapping = 0;
  delivered = 0;
  failed = 0;
  throttled = 0;
  /** 1 while this process leads its group (consumes and notifies), 0 while it stands by. */
  leader = 0;
  /** Whether the last configuration reload was applied (1) or refused (0); 1 before any. */
  configReloadSuccess = 1;
  /** When the configuration last changed (start or applied reload), Unix ms. */
  configReloadedAt = Date.now();
}

export interface AlerterService {
  readonly stats: AlerterStats;
  /** Whether this process leads its group now: it consumes alert events and notifies; the others forward to it. */
  readonly leading: boolean;
  /** The alerts the leader knows; `size` counts those firing. Only while leading. */
  readonly active: AlertStore;
  readonly silences: Silences;
  readonly dispatcher: Dispatcher;
  readonly api: AlerterApi;
  /**
   * Reads the configuration again (deps.readConfig) and applies its receivers, routes, inhibitions and templates over
   * the running state, as SIGHUP and `POST /-/reload` do. One that does not read or validate throws
   * ConfigReloadError and the running configuration stays.
   */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export interface AlerterHooks {
  /** Every alert state change (fired, resolved, flapping), as applied (the CLI prints them for a person). */
  onEvent?(alert: Alert): void;
  onOutcome?(outcome: NotifyOutcome): void;
}

export interface AlerterDeps {
  nc: NatsConnection;
  history?: AlertHistorySink;
  log: Logger;
  hooks?: AlerterHooks;
  /** Reads the configuration again (its file) for a reload. Without it, reloads are refused. */
  readConfig?: () => Promise<KilnConfig>;
}

/** How often housekeeping runs: retention of resolved alerts, silences and log entries, KV compaction. */
const MAINTENANCE_INTERVAL_MS = 5 * 60_000;

/**
 * The alerter: consumes alert events from the alert stream, keeps alerts, silences and the notification log in NATS
 * KV, groups, routes, silences and inhibits like Alertmanager, notifies the receivers, writes alert history, and
 * serves Alertmanager's API v2 and a web UI on alerter.listen. An event is acknowledged once it is stored in KV;
 * notifications are driven from the stored state, so after a crash or restart nothing is paged twice and due
 * resolutions still go out.
 *
 * Any number of alerters may share one state bucket: one leads (Leadership), the others stand by and forward their
 * API requests to it, and when it dies one of them takes over within a lease, from the same state.
 */
export async function startAlerter(config: KilnConfig, deps: AlerterDeps): Promise<AlerterService> {
  const { nc, log } = deps;
  const a = config.alerter;
  let alerting = buildAlerting(config);
  let runningRouting = routingOf(config);
  const js = jetstream(nc);
  const bucket = (name: string) => `${a.state_bucket}_${name}`;
  const [alertState, logState, silenceState] = await Promise.all([
    KvStateStore.open<StoredAlert>(js, bucket('alerts'), config.nats.replicas),
    KvStateStore.open<NotificationLogEntry>(js, bucket('nflog'), config.nats.replicas),
    KvStateStore.open<Silence>(js, bucket('silences'), config.nats.replicas),
  ]);
  const stats = new AlerterStats();
  const recent = new RecentChanges();
  const recordHistory = (entries: AlertHistoryEntry[], token: string): void => {
    deps.history
      ?.record(entries, token)
      .catch((err: unknown) => log.error({ err, token }, 'alert history write failed'));
  };

  const onOutcome = (o: NotifyOutcome): void => {
    if (o.result === 'delivered') stats.delivered++;
    if (o.result === 'failed') stats.failed++;
    if (o.result === 'throttled') stats.throttled++;
    const level = o.result === 'failed' || o.result === 'error' ? 'error' : o.result === 'retrying' ? 'warn' : 'info';
    log[level](
      {
        receiver: o.receiver,
        status: o.status,
        reason: o.reason,
        result: o.result,
        attempts: o.attempts,
        error: o.error,
        groupKey: o.groupKey,
      },
      'notification',
    );
    if (o.result === 'delivered' || o.result === 'failed') {
      const at = Date.now();
      const detail = o.error ?? (o.httpStatus ? `HTTP ${o.httpStatus}` : '');
      const event = o.result === 'delivered' ? 'notified' : 'notify_failed';
      recordHistory(
        o.updates.map((alert) => ({
          at,
          event,
          alert,
          receiver: o.receiver,
          attempts: o.attempts,
          detail,
          groupKey: o.groupKey,
          reason: o.reason,
        })),
        `notify:${o.receiver}:${o.groupKey}:${o.updates.map((u) => `${u.fingerprint}@${u.startsAt}:${u.status}`).join(',')}:${o.result}:${at}`,
      );
    }
    deps.hooks?.onOutcome?.(o);
  };
  const onChange = ({ change, alert }: AppliedEvent): void => {
    const event =
      change === 'fired'
        ? 'firing'
        : change === 'started-flapping'
          ? 'flapping'
          : change === 'resolved'
            ? 'resolved'
            : undefined;
    if (event === undefined) return;
    if (event === 'firing') stats.firing++;
    else if (event === 'resolved') stats.resolved++;
    else stats.flapping++;
    log.info({ alert: alert.labels, status: alert.status, change, fingerprint: alert.fingerprint }, `alert ${change}`);
    deps.hooks?.onEvent?.(alert);
    const at = event === 'resolved' ? (alert.endsAt ?? alert.startsAt) : alert.startsAt;
    recordHistory([{ at, event, alert }], `alert:${alert.fingerprint}:${event}:${alert.startsAt}`);
    recent.add({ at, event, alert });
  };

  let active: ActiveAlerter | undefined;
  let leadership: Leadership | undefined;
  const leader = (): ActiveAlerter => {
    if (active === undefined) throw new Error('this alerter stands by: the leading alerter holds the alerts');
    return active;
  };

  let ready = false;
  const startedAt = Date.now();
  const instance = `${hostname()}-${process.pid}`;
  const reload = async (): Promise<void> => {
    let next: KilnConfig;
    let built: Alerting;
    try {
      if (deps.readConfig === undefined)
        throw new Error('this alerter was started without a configuration file to read again');
      next = await deps.readConfig();
      built = buildAlerting(next);
    } catch (err) {
      stats.configReloadSuccess = 0;
      const problems =
        err instanceof AlertingConfigError ? err.problems : [err instanceof Error ? err.message : String(err)];
      log.error({ problems }, 'configuration reload refused; the running configuration stays');
      throw new ConfigReloadError(problems);
    }
    // Unchanged routing is not swapped in: a swap cancels notifications in flight, and a reload that changes nothing
    // (or a client posting /-/reload in a loop) must not hold paging back.
    const routing = routingOf(next);
    if (routing === runningRouting) {
      stats.configReloadSuccess = 1;
      log.info('configuration reloaded: routing unchanged');
      return;
    }
    const restartOnly = Object.keys(a).filter(
      (k) =>
        k !== 'default_inhibitions' &&
        JSON.stringify(a[k as keyof typeof a]) !== JSON.stringify(next.alerter[k as keyof typeof a]),
    );
    if (restartOnly.length > 0)
      log.warn({ settings: restartOnly.map((k) => `alerter.${k}`) }, 'these settings take effect on restart only');
    alerting = built;
    runningRouting = routing;
    await active?.reload(built);
    stats.configReloadSuccess = 1;
    stats.configReloadedAt = Date.now();
    log.info({ receivers: built.receivers.length, inhibitRules: built.inhibitRules.length }, 'configuration reloaded');
  };

  const api = await serveApi(
    a.listen,
    [
      ...statusRoutes({
        alerting: () => alerting,
        resolveTimeoutMs: a.resolve_timeout_ms,
        startedAt,
        ready: () => ready,
      }),
      ...reloadRoutes({ reload }),
      ...alertRoutes({
        get alerts() {
          return leader().alerts;
        },
        get dispatcher() {
          return leader().dispatcher;
        },
        resolveTimeoutMs: a.resolve_timeout_ms,
        now: Date.now,
      }),
      ...silenceRoutes({
        get silences() {
          return leader().silences;
        },
        get dispatcher() {
          return leader().dispatcher;
        },
      }),
      ...uiRoutes({ recent }),
    ],
    {
      auth: a.basic_auth,
      forward: async (req, res) => {
        if (leadership === undefined) return false; // starting: the routes answer (and /-/ready says not ready)
        if (leadership.leading) return false;
        const current = await leadership.leader();
        if (current === undefined) {
          req.resume();
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(JSON.stringify('no alerter leads right now; one takes over within a lease: retry'));
          return true;
        }
        forwardRequest(req, res, current.url, self);
        return true;
      },
    },
  );
  const self = a.advertise_url ?? advertisedUrl(a.listen, api.url);

  leadership = await Leadership.start(
    nc,
    { bucket: bucket('leader'), replicas: config.nats.replicas, leaseMs: a.lease_ms, instance, url: self, log },
    {
      activate: async ({ abandoned, fence }) => {
        const stores = {
          alerts: new FencedStateStore(alertState, fence),
          notificationLog: new FencedStateStore(logState, fence),
          silences: new FencedStateStore(silenceState, fence),
        };
        const started = await ActiveAlerter.start(alerting, {
          config,
          nc,
          stores,
          log,
          counters: stats,
          onChange,
          onOutcome,
          mayDeliver: fence,
        });
        if (abandoned.aborted) {
          // Finished after the lease was lost or given back: undo, and leave the role to whoever holds the lease now.
          await started.stop();
          throw abandoned.reason;
        }
        active = started;
        stats.leader = 1;
      },
      deactivate: async (how) => {
        const stopping = active;
        active = undefined;
        stats.leader = 0;
        log.info({ how }, 'alerter stepping down');
        await stopping?.stop();
      },
    },
  );
  ready = true;

  const maintenance = setInterval(() => {
    if (active === undefined) return;
    const current = active;
    void (async () => {
      await current.maintain();
      for (const store of [alertState, logState, silenceState]) await store.compact();
    })().catch((err: unknown) => log.error({ err }, 'alerter maintenance failed'));
  }, MAINTENANCE_INTERVAL_MS);
  maintenance.unref();

  return {
    stats,
    get leading() {
      return active !== undefined;
    },
    get active() {
      return leader().alerts;
    },
    get silences() {
      return leader().silences;
    },
    get dispatcher() {
      return leader().dispatcher;
    },
    api,
    reload,
    async stop() {
      clearInterval(maintenance);
      await leadership?.stop();
      await api.close();
    },
  };
}

/** What a reload applies, as text to compare: receivers, routes and inhibitions. */
function routingOf(config: KilnConfig): string {
  return JSON.stringify([config.notify, config.route, config.inhibit_rules, config.alerter.default_inhibitions]);
}

/** Where the other alerters reach this one: the listen address, or this machine's name for a wildcard address. */
function advertisedUrl(listen: string, bound: string): string {
  const { host } = parseListen(listen);
  const port = new URL(bound).port;
  const wildcard = host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
  return wildcard ? `http://${hostname()}:${port}` : bound;
}
