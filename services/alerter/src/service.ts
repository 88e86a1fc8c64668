import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg, type ConsumerMessages } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { createReceiver, Notifier, validateAlertEvent, type Alert, type AlertEvent, type NotifyOutcome } from '@kiln/alerts';
import type { KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { ALERT_STREAM, ALERT_SUBJECTS, ensureStreams } from '@kiln/nats';
import { dlqSubject } from '@kiln/wire';
import { ActiveAlerts } from './active-alerts.js';
import { serveAlerterApi, type AlerterApi } from './api.js';

/** One line of alert history: an alert changing state, or a notification outcome. */
export interface AlertHistoryEntry {
  at: number;
  event: 'firing' | 'resolved' | 'delivered' | 'failed';
  alert: Alert;
  receiver?: string;
  attempts?: number;
  detail?: string;
}

export interface AlertHistorySink {
  record(entries: AlertHistoryEntry[], token: string): Promise<void>;
}

export class AlerterStats {
  events = 0;
  invalid = 0;
  firing = 0;
  resolved = 0;
  delivered = 0;
  failed = 0;
}

export interface AlerterService {
  readonly stats: AlerterStats;
  readonly active: ActiveAlerts;
  readonly api: AlerterApi;
  stop(): Promise<void>;
}

export interface AlerterHooks {
  /** Every valid alert event, as received (the CLI prints them for a person). */
  onEvent?(alert: Alert): void;
  onOutcome?(outcome: NotifyOutcome): void;
}

/**
 * Consumes alert events from the alert stream, keeps the set of active alerts, notifies every receiver and writes
 * alert history. An event is acknowledged once its notifications are settled (delivered, deduplicated or given up
 * and reported); while a receiver is being retried the message is kept in progress, so a crash re-delivers it.
 */
export async function startAlerter(
  config: KilnConfig,
  deps: { nc: NatsConnection; history?: AlertHistorySink; log: Logger; hooks?: AlerterHooks },
): Promise<AlerterService> {
  const { nc, log } = deps;
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, { replicas: config.nats.replicas });
  const name = config.alerter.consumer;
  try {
    await jsm.consumers.info(ALERT_STREAM, name);
  } catch (err) {
    if (!/not found/i.test(String(err))) throw err;
    await jsm.consumers.add(ALERT_STREAM, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: ALERT_SUBJECTS,
      ack_wait: nanos(60_000),
      max_deliver: -1,
      max_ack_pending: 10_000,
    });
  }
  const js = jetstream(nc);
  const stats = new AlerterStats();
  const active = new ActiveAlerts();
  const history = deps.history;
  const recordHistory = (entries: AlertHistoryEntry[], token: string): void => {
    if (!history) return;
    history.record(entries, token).catch((err: unknown) => log.error({ err, token }, 'alert history write failed'));
  };
  const receivers = config.notify.map((r) => createReceiver(r));
  const notifier =
    receivers.length === 0
      ? undefined
      : new Notifier({
          receivers,
          retry: { maxElapsedMs: config.alerter.retry_for_ms, requestTimeoutMs: config.alerter.timeout_ms },
          ...(config.alerter.external_url ? { externalURL: config.alerter.external_url } : {}),
          onOutcome: (o) => {
            if (o.result === 'delivered') stats.delivered++;
            if (o.result === 'failed') stats.failed++;
            const level = o.result === 'failed' ? 'error' : o.result === 'retrying' ? 'warn' : 'info';
            log[level]({ receiver: o.receiver, status: o.status, result: o.result, attempts: o.attempts, error: o.error, groupKey: o.groupKey }, 'notification');
            if (o.result === 'delivered' || o.result === 'failed') {
              recordHistory(
                o.alerts.map((alert) => ({
                  at: Date.now(),
                  event: o.result as 'delivered' | 'failed',
                  alert,
                  receiver: o.receiver,
                  attempts: o.attempts,
                  detail: o.error ?? (o.httpStatus ? `HTTP ${o.httpStatus}` : ''),
                })),
                `notify:${o.receiver}:${o.groupKey}:${o.status}:${o.alerts.map((a) => `${a.fingerprint}@${a.startsAt}`).join(',')}:${o.result}`,
              );
            }
            deps.hooks?.onOutcome?.(o);
          },
        });
  const api = await serveAlerterApi(config.alerter.listen, active, receivers.map((r) => r.name));

  const handle = async (m: JsMsg): Promise<void> => {
    stats.events++;
    let input: unknown;
    try {
      input = m.json();
    } catch {
      input = undefined;
    }
    const validation = validateAlertEvent(input);
    if (!validation.ok) {
      stats.invalid++;
      log.error({ errors: validation.errors, subject: m.subject, seq: m.seq }, 'invalid alert event dead-lettered');
      await js.publish(dlqSubject('invalid_alert'), m.data, { msgID: `dlq:${ALERT_STREAM}:${m.seq}` });
      m.ack();
      return;
    }
    const event: AlertEvent = validation.event;
    const alert = active.apply(event);
    if (alert.status === 'firing') stats.firing++;
    else stats.resolved++;
    log.info({ alert: alert.labels, status: alert.status, fingerprint: alert.fingerprint }, `alert ${alert.status}`);
    deps.hooks?.onEvent?.(alert);
    recordHistory([{ at: alert.status === 'firing' ? alert.startsAt : (alert.endsAt ?? alert.startsAt), event: alert.status, alert }], `alert:${ALERT_STREAM}:${m.seq}`);
    if (!notifier) {
      m.ack();
      return;
    }
    // Keep the message ours while receivers are retried, so it is neither redelivered nor lost.
    const keepAlive = setInterval(() => m.working(), 20_000);
    try {
      await notifier.handle(event);
    } finally {
      clearInterval(keepAlive);
    }
    m.ack();
  };

  const consumer = await js.consumers.get(ALERT_STREAM, name);
  let messages: ConsumerMessages | undefined;
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopping) {
      messages = await consumer.consume({ max_messages: 500 });
      for await (const m of messages) {
        // Events for different alerts proceed concurrently; the notifier orders those of one alert.
        const p = handle(m).catch((err: unknown) => {
          log.error({ err, seq: m.seq }, 'alert event handling failed; it will be redelivered');
          m.nak(5_000);
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    }
  })();

  return {
    stats,
    active,
    api,
    async stop() {
      stopping = true;
      await messages?.close();
      await loop.catch(() => undefined);
      await Promise.all(inFlight);
      await notifier?.close();
      await api.close();
    },
  };
}
