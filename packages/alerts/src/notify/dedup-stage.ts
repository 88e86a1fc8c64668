import type { NotificationLog, NotificationLogEntry } from './notification-log.js';
import { needsNotification } from './notification-log.js';
import type { NotifyJob, Stage, StageContext } from './stage.js';
import { errorMessage } from './stage.js';

/**
 * Lets a notification through only if its receiver has not yet been notified of the current state of one of its
 * alerts, so a redelivered or replayed alert event does not page twice. If the log cannot be read the notification
 * goes out anyway (a duplicate beats a missed page) and the failure is reported.
 */
export class DedupStage implements Stage {
  readonly name = 'dedup';

  constructor(private readonly log: NotificationLog) {}

  async exec(job: NotifyJob, ctx: StageContext): Promise<NotifyJob | undefined> {
    const { receiver, notification } = job;
    let entries: (NotificationLogEntry | undefined)[];
    try {
      entries = await Promise.all(notification.alerts.map((a) => this.log.get(receiver.name, a.fingerprint)));
    } catch (err) {
      ctx.report(job, { result: 'error', attempts: 0, error: `dedup stage: notification log unreadable, notifying anyway: ${errorMessage(err)}` });
      return job;
    }
    if (notification.alerts.some((alert, i) => needsNotification(entries[i], alert))) return job;
    ctx.report(job, { result: 'deduplicated', attempts: 0 });
    return undefined;
  }
}
