import type { Alert, AlertEvent, Labels } from '../alert.js';
import type { Inhibitor } from '../inhibit/inhibitor.js';
import { equalKey } from '../inhibit/inhibitor.js';
import { formatLabels } from '../labels/format.js';
import type { Matcher } from '../labels/matcher.js';
import { matchesAll } from '../labels/matcher.js';
import type { GroupSnapshot } from '../notify/dedup.js';
import type { Notifier } from '../notify/notifier.js';
import type { Route } from '../routing/route.js';
import type { Silence } from '../silence/silence.js';
import type { Silences } from '../silence/silences.js';
import type { AlertStore, AppliedEvent, ApplyOptions } from './alert-store.js';
import { KeyedTimers } from './timers.js';

export interface DispatcherOptions {
  readonly route: Route;
  readonly inhibitor: Inhibitor;
  readonly silences: Silences;
  readonly alerts: AlertStore;
  readonly notifier: Notifier;
  readonly now?: () => number;
  /** Every change an event or a deadline made to an alert (not refreshes, not stale events): for alert history. */
  readonly onChange?: (applied: AppliedEvent) => void;
  /** Failures of background work (writing state, notifying); the work is retried by the next flush or event. */
  readonly onError?: (err: unknown, what: string) => void;
}

/** Alerts that share a route and the values of its group_by labels, notified together (Alertmanager's aggregation group). */
export interface AggregationGroup {
  /** Unique among groups: the route's id and the group labels. */
  readonly id: string;
  readonly route: Route;
  /** Alertmanager's group key, as receivers see it. */
  readonly key: string;
  readonly labels: Labels;
  /** Fingerprints of its alerts: firing ones, and resolved ones until their resolution is delivered. */
  readonly members: Set<string>;
  /** Whether it has been flushed since the alerter started: a new alert then waits group_wait, not group_interval. */
  flushed: boolean;
}

/** How the API shows an alert's muting (Alertmanager's alertStatus). */
export interface AlertMuting {
  readonly state: 'active' | 'suppressed';
  readonly silencedBy: string[];
  readonly inhibitedBy: string[];
}

/**
 * The alerter's core: applies alert events to the alert store, routes each alert to its groups, and flushes groups
 * on Alertmanager's timers — group_wait after a group appears, then every group_interval — through the notifier,
 * muting silenced and inhibited alerts at flush time. Where Alertmanager makes a new alert joining an already
 * notified group wait for the next group_interval tick (up to 5 minutes), Kiln flushes such a group group_wait after
 * the alert arrives; resolutions still wait for the tick, which batches them and absorbs an alert that clears and
 * fires again. Silences that end, inhibiting alerts that resolve and held flapping resolutions also flush the groups
 * they concern promptly.
 *
 * An alert that arrives already resolved but lasted at least group_wait in event time (a backlog, a replay, a late
 * detector) was a real incident that nobody heard of: its groups first report it firing, then resolved, so the
 * incident is paged and closed rather than lost. One that lasted less is dropped, as Alertmanager drops an alert
 * resolved within group_wait.
 *
 * Timers are not persisted as such: at start every stored alert is regrouped and every group flushed after
 * group_wait, and the notification log decides what is still news, so a restart neither re-pages nor loses a due
 * resolution, and repeat_interval runs on from each alert's last notification.
 */
export class Dispatcher {
  private readonly groups = new Map<string, AggregationGroup>();
  private readonly groupsOf = new Map<string, AggregationGroup[]>();
  private readonly groupTimers: KeyedTimers;
  private readonly alertTimers: KeyedTimers;
  private readonly silenceTimer: KeyedTimers;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly resendIntervals = new Map<string, number>();
  /** Resolved alerts to report firing first (group id, NUL, fingerprint): incidents their receiver never heard of. */
  private readonly catchUp = new Set<string>();
  private readonly now: () => number;
  private lastSilenceCheck: number;
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.groupTimers = new KeyedTimers(this.now);
    this.alertTimers = new KeyedTimers(this.now);
    this.silenceTimer = new KeyedTimers(this.now);
    this.lastSilenceCheck = this.now();
    for (const r of options.notifier.receivers)
      if (r.resendIntervalMs !== undefined) this.resendIntervals.set(r.name, r.resendIntervalMs);
  }

  /** Groups every stored alert and schedules the flushes; call once, after alerts, silences and log are loaded. */
  start(): void {
    const { alerts, inhibitor } = this.options;
    for (const fp of alerts.fingerprints()) {
      const alert = alerts.view(fp) as Alert;
      inhibitor.update(fp, alert.labels, alert.status === 'firing');
      this.place(fp, alert.labels);
      this.scheduleDeadline(fp);
    }
    this.armSilenceTimer();
  }

  /** Applies an alert event; resolves once the change is stored (the caller may then acknowledge its source). */
  async ingest(event: AlertEvent, options?: ApplyOptions): Promise<AppliedEvent> {
    const applied = await this.options.alerts.apply(event, options);
    this.afterChange(applied);
    return applied;
  }

  /** A silence was created, updated or expired: flush the groups whose alerts it may (un)mute, and re-arm timers. */
  silenceChanged(silence: Silence): void {
    const { silences, alerts } = this.options;
    const matchers = silences.matchersOf(silence);
    this.wakeMatching(matchers);
    if (silence.endsWhenResolved && silences.state(silence) === 'active') {
      const mutesOne = [...alerts.fingerprints()].some((fp) => {
        const a = alerts.get(fp);
        return a?.status === 'firing' && matchesAll(matchers, a.labels);
      });
      if (mutesOne) this.track(silences.noteMuted([silence.id]), 'recording that a silence muted an alert');
    }
    this.armSilenceTimer();
  }

  /** Whether an alert is silenced or inhibited now, and by what. */
  muting(fp: string, labels: Labels): AlertMuting {
    const silencedBy = this.options.silences.mutedBy(labels);
    const inhibitedBy = this.options.inhibitor.inhibitedBy(fp, labels);
    return {
      state: silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active',
      silencedBy,
      inhibitedBy,
    };
  }

  /** The receivers an alert with these labels is routed to. */
  receiversOf(labels: Labels): string[] {
    return [...new Set(this.options.route.match(labels).map((r) => r.receiver))].filter((r) => r !== '');
  }

  /** The groups that hold firing alerts. */
  activeGroups(): AggregationGroup[] {
    return [...this.groups.values()].filter((g) =>
      [...g.members].some((fp) => this.options.alerts.get(fp)?.status === 'firing'),
    );
  }

  /**
   * Housekeeping, every few minutes: forgets resolved alerts, silences and log entries past retention, and expires
   * silences that end when their alerts resolve.
   */
  async maintain(): Promise<void> {
    const { alerts, silences, notifier } = this.options;
    for (const fp of alerts.expiredTombstones()) {
      for (const g of this.groupsOf.get(fp) ?? []) this.leave(g, fp);
      await alerts.remove(fp);
    }
    await silences.gc();
    await notifier.log.gc();
    await this.expireResolvedSilences();
  }

  /** Waits for the background work started so far (flushes, state writes). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.options.notifier.flush();
  }

  /** Stops all timers; notifications in flight are the notifier's to finish or cancel. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.groupTimers.clear();
    this.alertTimers.clear();
    this.silenceTimer.clear();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private afterChange(applied: AppliedEvent): void {
    const { fingerprint: fp, change, alert } = applied;
    if (change === 'stale') return;
    this.options.inhibitor.update(fp, alert.labels, alert.status === 'firing');
    const groups = this.place(fp, alert.labels);
    const now = this.now();
    if (change === 'fired' || change === 'started-flapping') {
      const silencedBy = this.options.silences.mutedBy(alert.labels);
      if (silencedBy.length > 0)
        this.track(this.options.silences.noteMuted(silencedBy), 'recording that a silence muted an alert');
      for (const g of groups) {
        this.catchUp.delete(catchUpKey(g, fp));
        if (g.flushed) this.dueBy(g, now + g.route.groupWaitMs);
      }
    } else if (change === 'resolved') {
      for (const g of groups) if (this.missed(g, alert)) this.catchUp.add(catchUpKey(g, fp));
      this.wakeInhibitedBy(alert.labels);
      this.track(this.expireResolvedSilences(), 'expiring silences whose alerts resolved');
    }
    this.scheduleDeadline(fp);
    if (change !== 'refreshed') this.options.onChange?.(applied);
  }

  /** Puts an alert into the groups of the routes it matches (once), creating groups as needed. */
  private place(fp: string, labels: Labels): AggregationGroup[] {
    const known = this.groupsOf.get(fp);
    if (known) return known;
    const groups = this.options.route.match(labels).map((route) => {
      const groupLabels = route.groupLabels(labels);
      const id = `${route.id}:${formatLabels(groupLabels)}`;
      let group = this.groups.get(id);
      if (group === undefined) {
        group = {
          id,
          route,
          key: route.groupKey(groupLabels),
          labels: groupLabels,
          members: new Set(),
          flushed: false,
        };
        this.groups.set(id, group);
        this.dueBy(group, this.now() + route.groupWaitMs);
      }
      group.members.add(fp);
      return group;
    });
    this.groupsOf.set(fp, groups);
    return groups;
  }

  /** Whether the group's receiver never heard of this resolved episode, which lasted long enough to be an incident. */
  private missed(group: AggregationGroup, alert: Alert): boolean {
    const { receiver, groupWaitMs } = group.route;
    if (receiver === '' || (alert.endsAt ?? alert.startsAt) - alert.startsAt < groupWaitMs) return false;
    const heard = this.options.notifier.log.get(receiver, alert.fingerprint);
    return heard === undefined || heard.startsAt < alert.startsAt;
  }

  private leave(group: AggregationGroup, fp: string): void {
    this.catchUp.delete(catchUpKey(group, fp));
    group.members.delete(fp);
    const rest = (this.groupsOf.get(fp) ?? []).filter((g) => g !== group);
    if (rest.length > 0) this.groupsOf.set(fp, rest);
    else this.groupsOf.delete(fp);
  }

  /** Makes the group flush no later than `at`. */
  private dueBy(group: AggregationGroup, at: number): void {
    if (this.stopped) return;
    const due = this.groupTimers.dueAt(group.id);
    if (due !== undefined && due <= at) return;
    this.groupTimers.schedule(group.id, at, () => this.flush(group));
  }

  private flush(group: AggregationGroup): void {
    if (this.stopped) return;
    group.flushed = true;
    if (group.members.size === 0) {
      this.groups.delete(group.id);
      return;
    }
    const { route } = group;
    const tick = Math.min(route.groupIntervalMs, this.resendIntervals.get(route.receiver) ?? Infinity);
    this.groupTimers.schedule(group.id, this.now() + tick, () => this.flush(group));
    const settled = (upToDate: boolean, snapshot: GroupSnapshot): void => {
      if (!upToDate) return;
      // Missed incidents now reported firing are reported resolved from the next flush on.
      for (const a of snapshot.firing) this.catchUp.delete(catchUpKey(group, a.fingerprint));
      for (const a of snapshot.resolved) {
        const stored = this.options.alerts.get(a.fingerprint);
        if (stored?.status === 'resolved' && stored.startsAt === a.startsAt) this.leave(group, a.fingerprint);
      }
    };
    if (route.receiver === '') {
      settled(true, this.snapshot(group));
      return;
    }
    const request = {
      receiver: route.receiver,
      lane: group.id,
      repeatIntervalMs: route.repeatIntervalMs,
      snapshot: () => this.snapshot(group),
      settled,
    };
    this.track(this.options.notifier.notify(request), `notifying ${route.receiver} of ${group.key}`);
  }

  /** The group as it stands: firing alerts that are not muted (missed incidents as they were), and resolved ones. */
  private snapshot(group: AggregationGroup): GroupSnapshot {
    const { alerts, silences, inhibitor } = this.options;
    const firing: Alert[] = [];
    const resolved: Alert[] = [];
    for (const fp of group.members) {
      const alert = alerts.view(fp);
      if (alert === undefined) continue;
      const missed = alert.status === 'resolved' && this.catchUp.has(catchUpKey(group, fp));
      if (alert.status === 'resolved' && !missed) {
        resolved.push(alert);
        continue;
      }
      const muted = silences.mutedBy(alert.labels).length > 0 || inhibitor.inhibitedBy(fp, alert.labels).length > 0;
      if (!missed) {
        if (!muted) firing.push(alert);
      } else if (muted) {
        this.catchUp.delete(catchUpKey(group, fp));
        resolved.push(alert);
      } else {
        const { endsAt: _ended, ...asFired } = alert;
        firing.push({ ...asFired, status: 'firing' });
      }
    }
    return { groupKey: group.key, groupLabels: group.labels, firing, resolved };
  }

  /** An inhibiting alert resolved: the groups of the alerts it inhibited flush soon, now unmuted. */
  private wakeInhibitedBy(source: Labels): void {
    const targets = this.options.inhibitor.targetsOf(source);
    if (targets.length === 0) return;
    this.wakeWhere((labels) =>
      targets.some(({ rule, key }) => matchesAll(rule.target, labels) && equalKey(rule.equal, labels) === key),
    );
  }

  private wakeMatching(matchers: readonly Matcher[]): void {
    this.wakeWhere((labels) => matchesAll(matchers, labels));
  }

  /** Flushes, group_wait from now, every group with a firing alert whose labels satisfy `test`. */
  private wakeWhere(test: (labels: Labels) => boolean): void {
    const now = this.now();
    for (const group of this.groups.values()) {
      for (const fp of group.members) {
        const stored = this.options.alerts.get(fp);
        if (stored?.status === 'firing' && test(stored.labels)) {
          this.dueBy(group, now + group.route.groupWaitMs);
          break;
        }
      }
    }
  }

  private scheduleDeadline(fp: string): void {
    const at = this.options.alerts.deadline(fp);
    if (at === undefined) {
      this.alertTimers.cancel(fp);
      return;
    }
    this.alertTimers.schedule(fp, at, () => {
      const expiry = this.options.alerts.expireIfDue(fp).then((applied) => applied && this.afterChange(applied));
      this.track(expiry, `resolving alert ${fp} at its deadline`);
    });
  }

  /** Wakes the groups concerned when a silence starts or ends by the clock. */
  private armSilenceTimer(): void {
    const { silences } = this.options;
    const at = silences.nextTransitionAt();
    if (at === undefined || this.stopped) return;
    this.silenceTimer.schedule('next', at, () => {
      const now = this.now();
      for (const s of silences.list()) {
        const started = s.startsAt > this.lastSilenceCheck && s.startsAt <= now;
        const ended = s.endsAt > this.lastSilenceCheck && s.endsAt <= now;
        if (started || ended) this.wakeMatching(silences.matchersOf(s));
      }
      this.lastSilenceCheck = now;
      this.armSilenceTimer();
    });
  }

  private async expireResolvedSilences(): Promise<void> {
    const { silences, alerts } = this.options;
    const firingMatch = (matchers: readonly Matcher[]): boolean => {
      for (const fp of alerts.fingerprints()) {
        const s = alerts.get(fp);
        if (s?.status === 'firing' && matchesAll(matchers, s.labels)) return true;
      }
      return false;
    };
    for (const s of await silences.expireResolved(firingMatch)) this.silenceChanged(s);
  }

  private track(work: Promise<unknown>, what: string): void {
    const p = work.catch((err: unknown) => this.options.onError?.(err, what));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}

function catchUpKey(group: AggregationGroup, fp: string): string {
  return `${group.id}\u0000${fp}`;
}
