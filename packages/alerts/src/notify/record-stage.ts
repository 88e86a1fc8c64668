import type { NotificationLog } from './notification-log.js';
import type { NotifyJob, Stage } from './stage.js';

/** Writes a delivered notification to the notification log (Alertmanager's SetNotifiesStage). */
export class RecordStage implements Stage {
  readonly name = 'record';

  constructor(
    private readonly log: NotificationLog,
    private readonly now: () => number,
  ) {}

  async exec(job: NotifyJob): Promise<NotifyJob> {
    const notifiedAt = this.now();
    await Promise.all(
      job.notification.alerts.map((a) =>
        this.log.set(job.receiver.name, a.fingerprint, { status: a.status, startsAt: a.startsAt, notifiedAt }),
      ),
    );
    return job;
  }
}
