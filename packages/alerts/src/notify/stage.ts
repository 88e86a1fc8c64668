import type { Receiver } from '../receivers/receiver.js';
import type { Notification } from './notification.js';
import type { OutcomeDetail } from './outcome.js';

/** A notification on its way to one receiver. */
export interface NotifyJob {
  readonly receiver: Receiver;
  readonly notification: Notification;
}

export interface StageContext {
  /** Aborted when the notifier closes; stages stop waiting and report what they gave up. */
  readonly signal: AbortSignal;
  report(job: NotifyJob, detail: OutcomeDetail): void;
}

/**
 * One step of the notification path (Alertmanager's notify.Stage). A stage passes the job on, possibly changed
 * (e.g. fewer alerts), or returns undefined to end its journey, having reported why when that matters.
 */
export interface Stage {
  readonly name: string;
  exec(job: NotifyJob, ctx: StageContext): Promise<NotifyJob | undefined>;
}

/** Stages run in order. A stage that throws ends the job with an `error` outcome naming the stage. */
export class Pipeline {
  constructor(readonly stages: readonly Stage[]) {}

  async run(job: NotifyJob, ctx: StageContext): Promise<void> {
    let current = job;
    for (const stage of this.stages) {
      let next: NotifyJob | undefined;
      try {
        next = await stage.exec(current, ctx);
      } catch (err) {
        ctx.report(current, { result: 'error', attempts: 0, error: `${stage.name} stage: ${errorMessage(err)}` });
        return;
      }
      if (next === undefined) return;
      current = next;
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
