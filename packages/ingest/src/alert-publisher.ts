import type { JetStreamClient } from '@nats-io/jetstream';
import { fingerprint, type AlertEvent } from '@kiln/alerts';
import type { Logger } from '@kiln/log';
import { alertSubject } from '@kiln/nats';
import type { EpisodeJournal } from './episode-journal.js';
import type { IngestStats } from './ingest-stats.js';
import { retryUntilDone } from './retry-until-done.js';

/**
 * The sink detectors emit alert events into: publishes each to the alert stream and records it in the partition's
 * episode journal, in order. The publishes stay pending until the batch being filled takes them (takePending), so that
 * the batch is acknowledged only once its alert events are in the alert stream.
 */
export class AlertPublisher {
  private pending: Promise<unknown>[] = [];
  /** Episode journal writes, one at a time, in the order the alert events were published. */
  private journaling: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      js: JetStreamClient;
      episodes: EpisodeJournal;
      stats: IngestStats;
      log: Logger;
      stopping: () => boolean;
    },
  ) {}

  publish(e: AlertEvent): void {
    const { js, episodes, stats, log } = this.deps;
    const subject = alertSubject(e.labels.cluster ?? 'unknown', e.labels.rack ?? 'unknown');
    // The same episode and state always gets the same id, so a replay after a crash is dropped by JetStream.
    const msgID = `${e.labels.alertname}:${fingerprint(e.labels)}:${e.status}:${e.startsAt}`;
    stats.alertsEmitted++;
    log.info({ alert: e.labels, status: e.status, startsAt: e.startsAt }, 'alert event');
    const published = js.publish(subject, JSON.stringify(e), { msgID });
    this.pending.push(published);
    this.journaling = this.journaling
      .then(() => published)
      .then(() => retryUntilDone('episode journal', () => episodes.write(e), this.deps))
      .catch((err: unknown) =>
        log.error({ err: String(err), alert: e.labels }, 'alert not recorded in the episode journal'),
      );
  }

  /** The publishes since the last call: they belong to the batch being closed. */
  takePending(): Promise<unknown>[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** Waits for the episode journal to record every event published so far. */
  drained(): Promise<void> {
    return this.journaling;
  }
}
