import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  AlertStore,
  Dispatcher,
  Inhibitor,
  NotificationLog,
  Notifier,
  Silences,
  type Alert,
  type AppliedEvent,
  type NotificationLogEntry,
  type NotifyOutcome,
  type Silence,
  type StoredAlert,
} from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { streamOptions } from '@kiln/nats';
import { buildAlerting } from './alerting-config.js';
import { alertRoutes } from './api/alerts.js';
import { serveApi, type AlerterApi } from './api/server.js';
import { silenceRoutes } from './api/silences.js';
import { statusRoutes } from './api/status.js';
import type { AlertHistoryEntry, AlertHistorySink } from './history.js';
import { consumeAlertEvents } from './intake.js';
import { KvStateStore } from './kv-state-store.js';
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
}

export interface AlerterService {
  readonly stats: AlerterStats;
  /** The alerts the alerter knows; `size` counts those firing. */
  readonly active: AlertStore;
  readonly silences: Silences;
  readonly dispatcher: Dispatcher;
  readonly api: AlerterApi;
  stop(): Promise<void>;
}

export interface AlerterHooks {
  /** Every alert state change (fired, resolved, flapping), as applied (the CLI prints them for a person). */
  onEvent?(alert: Alert): void;
  onOutcome?(outcome: NotifyOutcome): void;
}

/** How often housekeeping runs: retention of resolved alerts, silences and log entries, KV compaction. */
const MAINTENANCE_INTERVAL_MS = 5 * 60_000;

/**
 * The alerter: consumes alert events from the alert stream, keeps alerts, silences and the notification log in NATS
 * KV, groups, routes, silences and inhibits like Alertmanager, notifies the receivers, writes alert history, and
 * serves Alertmanager's API v2 on alerter.listen. An event is acknowledged once it is stored in KV; notifications are
 * driven from the stored state, so after a crash or restart nothing is paged twice and due resolutions still go out.
 */
export async function startAlerter(
  config: KilnConfig,
  deps: { nc: NatsConnection; history?: AlertHistorySink; log: Logger; hooks?: AlerterHooks },
): Promise<AlerterService> {
  const { nc, log } = deps;
  const a = config.alerter;
  const { receivers, route, inhibitRules } = buildAlerting(config);
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
    deps.history?.record(entries, token).catch((err: unknown) => log.error({ err, token }, 'alert history write failed'));
  };

  const alerts = new AlertStore({
    store: alertState,
    flap: { threshold: a.flap_threshold, windowMs: a.flap_window_ms, quietMs: a.flap_quiet_ms },
    retentionMs: a.retention_ms,
  });
  const silences = new Silences({ store: silenceState, retentionMs: a.retention_ms });
  const notificationLog = new NotificationLog({ store: logState, retentionMs: a.retention_ms });
  await Promise.all([alerts.load(), silences.load(), notificationLog.load()]);

  const notifier = new Notifier({
    receivers,
    log: notificationLog,
    retry: { maxElapsedMs: a.retry_for_ms, requestTimeoutMs: a.timeout_ms },
    ...(a.external_url ? { externalURL: a.external_url } : {}),
    onOutcome: (o) => {
      if (o.result === 'delivered') stats.delivered++;
      if (o.result === 'failed') stats.failed++;
      if (o.result === 'throttled') stats.throttled++;
      const level = o.result === 'failed' || o.result === 'error' ? 'error' : o.result === 'retrying' ? 'warn' : 'info';
      log[level]({ receiver: o.receiver, status: o.status, reason: o.reason, result: o.result, attempts: o.attempts, error: o.error, groupKey: o.groupKey }, 'notification');
      if (o.result === 'delivered' || o.result === 'failed') {
        const at = Date.now();
        const detail = o.error ?? (o.httpStatus ? `HTTP ${o.httpStatus}` : '');
        recordHistory(
          o.updates.map((alert) => ({ at, event: o.result as 'delivered' | 'failed', alert, receiver: o.receiver, attempts: o.attempts, detail, groupKey: o.groupKey, reason: o.reason })),
          `notify:${o.receiver}:${o.groupKey}:${o.updates.map((u) => `${u.fingerprint}@${u.startsAt}:${u.status}`).join(',')}:${o.result}:${at}`,
        );
      }
      deps.hooks?.onOutcome?.(o);
    },
  });

  const onChange = ({ change, alert }: AppliedEvent): void => {
    const event = change === 'fired' ? 'firing' : change === 'started-flapping' ? 'flapping' : change === 'resolved' ? 'resolved' : undefined;
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
  const dispatcher = new Dispatcher({
    route,
    inhibitor: new Inhibitor(inhibitRules),
    silences,
    alerts,
    notifier,
    onChange,
    onError: (err, what) => log.error({ err }, `alerter: ${what} failed`),
  });
  dispatcher.start();

  let ready = false;
  const startedAt = Date.now();
  const api = await serveApi(
    a.listen,
    [
      ...statusRoutes({ route, receivers: receivers.map((r) => r.name), inhibitRules, resolveTimeoutMs: a.resolve_timeout_ms, startedAt, ready: () => ready }),
      ...alertRoutes({ alerts, dispatcher, resolveTimeoutMs: a.resolve_timeout_ms, now: Date.now }),
      ...silenceRoutes({ silences, dispatcher }),
      ...uiRoutes({ recent }),
    ],
    a.basic_auth,
  );

  const intake = await consumeAlertEvents(nc, { consumer: a.consumer, streams: streamOptions(config.nats), log, counters: stats }, (event) => dispatcher.ingest(event));
  ready = true;

  const maintenance = setInterval(() => {
    void (async () => {
      await dispatcher.maintain();
      for (const store of [alertState, logState, silenceState]) await store.compact();
    })().catch((err: unknown) => log.error({ err }, 'alerter maintenance failed'));
  }, MAINTENANCE_INTERVAL_MS);
  maintenance.unref();

  return {
    stats,
    active: alerts,
    silences,
    dispatcher,
    api,
    async stop() {
      clearInterval(maintenance);
      await intake.stop();
      await dispatcher.stop();
      await notifier.close();
      await api.close();
    },
  };
}
