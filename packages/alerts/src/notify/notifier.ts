import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyLimit } from '@kiln/flow';
import type { Alert } from '../alert.js';
import type { Receiver } from '../receivers/receiver.js';
import type { GroupSnapshot, NotifyDecision } from './dedup.js';
import { decideNotification } from './dedup.js';
import { NotificationLog } from './notification-log.js';
import type { Notification } from './notification.js';
import type { NotifyOutcome, OutcomeDetail } from './outcome.js';
import { TokenBucket } from './rate-limit.js';
import type { RetryOptions } from './retry-policy.js';
import { resolveRetryOptions } from './retry-policy.js';
import { sendWithRetries } from './retry.js';

export interface NotifierOptions {
  readonly receivers: readonly Receiver[];
  /** What was notified; in memory unless given (a persistent log survives restarts without re-paging). */
  readonly log?: NotificationLog;
  readonly retry?: Partial<RetryOptions>;
  /** Requests open at once per receiver (default 16); further notifications wait their turn. */
  readonly maxConcurrentRequests?: number;
  /** Link back to the alerter in payloads (Alertmanager's externalURL). */
  readonly externalURL?: string;
  /** Called for every attempt's result; for metrics and alert history. */
  readonly onOutcome?: (outcome: NotifyOutcome) => void;
  /** Wall clock for the notification log and repeat intervals. */
  readonly now?: () => number;
  /**
   * Asked right before each notification is sent (not before each retry: an attempt under way is finished). False
   * drops it unrecorded: an alerter that has lost its leadership must not page beside the one that took over.
   */
  readonly mayDeliver?: () => Promise<boolean>;
}

/** One group to bring one receiver up to date with. */
export interface NotifyRequest {
  readonly receiver: string;
  /** Identifies the group: requests of one lane run one after another, and those waiting coalesce into one. */
  readonly lane: string;
  readonly repeatIntervalMs: number;
  /** The group's current state; read when the notification is built, and again after a rate-limit wait. */
  snapshot(): GroupSnapshot;
  /**
   * Called when a run ends: `upToDate` when the receiver has been told everything in `snapshot` (delivered, or nothing
   * was news), false when delivery failed and the group's next flush must try again.
   */
  settled?(upToDate: boolean, snapshot: GroupSnapshot): void;
}

const DEFAULT_MAX_CONCURRENT_REQUESTS = 16;

export class NotifierClosedError extends Error {
  constructor() {
    super('notifier is closed');
    this.name = 'NotifierClosedError';
  }
}

interface Lane {
  /** A request that arrived while the lane was busy; a later one replaces it (it carries the newer state). */
  next?: { request: NotifyRequest; done: Promise<void>; resolve: () => void };
}

interface ReceiverSlot {
  readonly receiver: Receiver;
  readonly concurrency: ConcurrencyLimit;
  readonly bucket: TokenBucket | undefined;
}

/**
 * Brings receivers up to date with alert groups: decide what is news against the notification log → wait for the
 * receiver's rate limit (re-reading the group afterwards, so whatever changed meanwhile goes out in the same
 * notification) → send with retries → record in the log. Requests for one group and receiver run one after another,
 * so a resolve never overtakes its trigger, and while one runs the requests that arrive collapse into one follow-up:
 * a storm of changes to a group costs at most two notifications in flight, never a queue. Different groups proceed
 * independently.
 */
export class Notifier {
  readonly log: NotificationLog;
  private readonly slots = new Map<string, ReceiverSlot>();
  private readonly retry: RetryOptions;
  private readonly externalURL: string;
  private readonly onOutcome: ((outcome: NotifyOutcome) => void) | undefined;
  private readonly now: () => number;
  private readonly mayDeliver: (() => Promise<boolean>) | undefined;
  private readonly abort = new AbortController();
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(options: NotifierOptions) {
    const maxConcurrent = options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
    const buckets = new Map<string, TokenBucket>();
    for (const receiver of options.receivers) {
      if (this.slots.has(receiver.name))
        throw new Error(`two receivers are named ${JSON.stringify(receiver.name)}; receiver names must be unique`);
      let bucket: TokenBucket | undefined;
      if (receiver.rateLimit) {
        const key = receiver.rateLimitKey ?? `receiver:${receiver.name}`;
        bucket = buckets.get(key) ?? new TokenBucket(receiver.rateLimit);
        buckets.set(key, bucket);
      }
      this.slots.set(receiver.name, { receiver, concurrency: new ConcurrencyLimit(maxConcurrent), bucket });
    }
    // Every request in flight and every wait listens to this signal: with 16 requests per receiver that is more than
    // the 10 listeners Node warns about, and none of them leaks (each is removed when its request ends).
    setMaxListeners(0, this.abort.signal);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? new NotificationLog({ now: this.now });
    this.retry = resolveRetryOptions(options.retry);
    this.externalURL = options.externalURL ?? '';
    this.onOutcome = options.onOutcome;
    this.mayDeliver = options.mayDeliver;
  }

  get receivers(): Receiver[] {
    return [...this.slots.values()].map((s) => s.receiver);
  }

  /**
   * Brings `request.receiver` up to date with the group. Resolves once a run that read the group after this call
   * has ended; delivery failures are reported through onOutcome, not thrown. Rejects for an unknown receiver and
   * after close.
   */
  notify(request: NotifyRequest): Promise<void> {
    if (this.closed) return Promise.reject(new NotifierClosedError());
    if (!this.slots.has(request.receiver))
      return Promise.reject(new Error(`no receiver named ${JSON.stringify(request.receiver)}`));
    const lane = this.lanes.get(request.lane);
    if (lane === undefined) {
      const fresh: Lane = {};
      this.lanes.set(request.lane, fresh);
      return this.track(this.runLane(request.lane, fresh, request));
    }
    if (lane.next) {
      lane.next = { ...lane.next, request };
      return lane.next.done;
    }
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    lane.next = { request, done, resolve };
    return done;
  }

  /** Waits until every notification requested so far has been delivered, found unneeded, or given up. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /**
   * Refuses new requests, cancels rate-limit waits, pending retries and requests in flight (each reported as failed
   * and left out of the log, so the group is notified again after a restart) and waits for everything to settle.
   * Call flush first to let deliveries finish.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.flush();
  }

  private track(run: Promise<void>): Promise<void> {
    this.inFlight.add(run);
    void run.then(() => this.inFlight.delete(run));
    return run;
  }

  private async runLane(key: string, lane: Lane, first: NotifyRequest): Promise<void> {
    let request: NotifyRequest | undefined = first;
    let finished: (() => void) | undefined;
    while (request) {
      await this.deliver(request);
      finished?.();
      const next: Lane['next'] = lane.next;
      lane.next = undefined;
      request = next?.request;
      finished = next?.resolve;
    }
    this.lanes.delete(key);
  }

  private async deliver(request: NotifyRequest): Promise<void> {
    const slot = this.slots.get(request.receiver) as ReceiverSlot;
    const { receiver, bucket } = slot;
    const decide = (snapshot: GroupSnapshot): NotifyDecision | undefined =>
      decideNotification(receiver, snapshot, this.log, this.now(), request.repeatIntervalMs, this.externalURL);
    let snapshot = request.snapshot();
    let decision = decide(snapshot);
    if (bucket) {
      for (let wait = bucket.delay(); decision?.notification && wait > 0; wait = bucket.delay()) {
        this.report(receiver, decision.notification, { result: 'throttled', attempts: 0, retryInMs: wait });
        try {
          await sleep(wait, undefined, { signal: this.abort.signal });
        } catch {
          this.report(receiver, decision.notification, {
            result: 'failed',
            attempts: 0,
            error: 'notifier closed while rate limited',
          });
          request.settled?.(false, snapshot);
          return;
        }
        snapshot = request.snapshot();
        decision = decide(snapshot);
      }
    }
    if (decision === undefined) {
      request.settled?.(true, snapshot);
      return;
    }
    const { notification } = decision;
    if (notification && this.mayDeliver && !(await this.mayDeliver())) {
      request.settled?.(false, snapshot);
      return;
    }
    if (notification) {
      bucket?.take(receiver.requestsFor?.(notification) ?? 1);
      const send: Receiver['send'] = (n, options) => slot.concurrency.run(() => receiver.send(n, options));
      const delivered = await sendWithRetries(send, notification, this.retry, this.abort.signal, (detail) =>
        this.report(receiver, notification, detail),
      );
      if (!delivered) {
        request.settled?.(false, snapshot);
        return;
      }
    }
    try {
      await this.record(receiver, decision.record);
    } catch (err) {
      if (notification) {
        this.report(receiver, notification, {
          result: 'error',
          attempts: 0,
          error: `notification log not written, the group may be notified again: ${String(err)}`,
        });
      }
      request.settled?.(false, snapshot);
      return;
    }
    request.settled?.(true, snapshot);
  }

  private async record(receiver: Receiver, alerts: readonly Alert[]): Promise<void> {
    const notifiedAt = this.now();
    await Promise.all(
      alerts.map((a) =>
        this.log.set(receiver.name, a.fingerprint, { status: a.status, startsAt: a.startsAt, notifiedAt }),
      ),
    );
  }

  private report(receiver: Receiver, notification: Notification, detail: OutcomeDetail): void {
    if (this.onOutcome === undefined) return;
    const outcome: NotifyOutcome = {
      receiver: receiver.name,
      receiverType: receiver.type,
      groupKey: notification.groupKey,
      status: notification.status,
      reason: notification.reason,
      alerts: notification.alerts,
      updates: notification.updates,
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
