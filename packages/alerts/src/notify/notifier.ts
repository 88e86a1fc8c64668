import type { AlertEvent } from '../alert.js';
import { AlertValidationError, toAlert, validateAlertEvent } from '../alert.js';
import type { Receiver } from '../receivers/receiver.js';
import { limitConcurrency } from './concurrency-limit.js';
import { DedupStage } from './dedup-stage.js';
import { singleAlertGroup } from './group.js';
import type { NotificationLog } from './notification-log.js';
import { MemoryNotificationLog } from './notification-log.js';
import { groupStatus } from './notification.js';
import type { NotifyOutcome, OutcomeDetail } from './outcome.js';
import { RecordStage } from './record-stage.js';
import type { RetryOptions } from './retry-policy.js';
import { resolveRetryOptions } from './retry-policy.js';
import { RetryStage } from './retry-stage.js';
import type { NotifyJob, StageContext } from './stage.js';
import { Pipeline } from './stage.js';

export interface NotifierOptions {
  readonly receivers: readonly Receiver[];
  /** What was notified; in memory unless given (a persistent log survives restarts without re-paging). */
  readonly log?: NotificationLog;
  readonly retry?: Partial<RetryOptions>;
  /** Requests open at once per receiver (default 16); further notifications wait their turn. */
  readonly maxConcurrentRequests?: number;
  /** Link back to the alerter in payloads (Alertmanager's externalURL). */
  readonly externalURL?: string;
  /** Called for every attempt's result and every deduplicated notification; for metrics and alert history. */
  readonly onOutcome?: (outcome: NotifyOutcome) => void;
  /** Wall clock for the notification log. */
  readonly now?: () => number;
}

const DEFAULT_MAX_CONCURRENT_REQUESTS = 16;

export class NotifierClosedError extends Error {
  constructor() {
    super('notifier is closed');
    this.name = 'NotifierClosedError';
  }
}

/**
 * Delivers alert events to every receiver through the notification pipeline: dedup against the notification log →
 * send with retries → record in the log. Notifications for one group and receiver go out one after another, in the
 * order their events arrived, so a resolve never overtakes its trigger and a repeated event meets the log entry of
 * the first. Different groups and receivers proceed independently.
 *
 * Further stages (inhibition, silences, rate limits) go into the pipeline before dedup; grouping replaces
 * singleAlertGroup.
 */
export class Notifier {
  private readonly receivers: readonly Receiver[];
  private readonly pipeline: Pipeline;
  private readonly externalURL: string;
  private readonly onOutcome: ((outcome: NotifyOutcome) => void) | undefined;
  private readonly abort = new AbortController();
  private readonly context: StageContext;
  /** Last job queued per receiver and group, which the next one waits for. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(options: NotifierOptions) {
    if (options.receivers.length === 0) throw new Error('notifier needs at least one receiver');
    const names = new Set<string>();
    for (const r of options.receivers) {
      if (names.has(r.name)) throw new Error(`two receivers are named ${JSON.stringify(r.name)}; receiver names must be unique`);
      names.add(r.name);
    }
    const maxConcurrent = options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
    this.receivers = options.receivers.map((r) => limitConcurrency(r, maxConcurrent));
    const now = options.now ?? Date.now;
    const log = options.log ?? new MemoryNotificationLog({ now });
    this.pipeline = new Pipeline([new DedupStage(log), new RetryStage(resolveRetryOptions(options.retry)), new RecordStage(log, now)]);
    this.externalURL = options.externalURL ?? '';
    this.onOutcome = options.onOutcome;
    this.context = { signal: this.abort.signal, report: (job, detail) => this.report(job, detail) };
  }

  /**
   * Notifies every receiver of `event`. Resolves once each receiver has delivered it, found it already notified,
   * or given up; delivery failures are reported through onOutcome, not thrown. Rejects only for an event that
   * breaks the alert contract (AlertValidationError) or after close (NotifierClosedError).
   */
  handle(event: AlertEvent): Promise<void> {
    if (this.closed) return Promise.reject(new NotifierClosedError());
    const validation = validateAlertEvent(event);
    if (!validation.ok) return Promise.reject(new AlertValidationError(validation.errors));
    const group = singleAlertGroup(toAlert(validation.event));
    const status = groupStatus(group.alerts);
    const runs = this.receivers.map((receiver) =>
      this.enqueue(`${receiver.name}\u0000${group.groupKey}`, {
        receiver,
        notification: { receiver: receiver.name, ...group, status, externalURL: this.externalURL },
      }),
    );
    return Promise.all(runs).then(() => undefined);
  }

  /** Waits until every notification handed in so far has been delivered, deduplicated or given up. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /**
   * Refuses new events, cancels pending retries and in-flight requests (each reported as failed and left out of
   * the log, so it is sent again after a restart that replays it) and waits for everything to settle. Call flush
   * first to let deliveries finish.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.flush();
  }

  private enqueue(key: string, job: NotifyJob): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.pipeline.run(job, this.context));
    this.tails.set(key, run);
    this.inFlight.add(run);
    void run.then(() => {
      this.inFlight.delete(run);
      if (this.tails.get(key) === run) this.tails.delete(key);
    });
    return run;
  }

  private report(job: NotifyJob, detail: OutcomeDetail): void {
    if (this.onOutcome === undefined) return;
    const { receiver, notification } = job;
    const outcome: NotifyOutcome = {
      receiver: receiver.name,
      receiverType: receiver.type,
      groupKey: notification.groupKey,
      status: notification.status,
      alerts: notification.alerts,
      ...detail,
    };
    try {
      this.onOutcome(outcome);
    } catch (err) {
      // A failing hook must not stop notifications; it is surfaced as a process warning instead.
      process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'KILN_NOTIFY_OUTCOME_HOOK' });
    }
  }
}
