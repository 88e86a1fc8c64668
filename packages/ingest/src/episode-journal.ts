import { Bucket, type KV } from '@nats-io/kv';
import { fingerprint, validateAlertEvent, type AlertEvent } from '@kiln/alerts';
import type { Logger } from '@kiln/log';

/** The KV bucket holding each partition's firing alerts. */
export const EPISODE_BUCKET = 'kiln_episodes';

/**
 * The alerts a partition's detectors have firing, one KV entry each (`<consumer>.<fingerprint>`: the last firing
 * event), so that whoever serves the partition next — this process after a restart, or another aggregator after a
 * handover — takes them up (Detection.restore) instead of finding them again as new episodes, and still resolves the
 * ones whose condition cleared meanwhile.
 *
 * The aggregator writes each alert event here after publishing it, in order. An event not written before a crash is
 * an alert found again (the alerter takes a re-detected alert that still fires for the same episode) or a resolution
 * sent twice (the alerter ignores it).
 */
export class EpisodeJournal {
  private readonly prefix: string;

  constructor(
    private readonly kv: KV,
    consumer: string,
    private readonly log: Logger,
  ) {
    this.prefix = `${consumer}.`;
  }

  /** The partition's firing alerts. Drops the bucket's old deletion markers (resolved alerts) on the way. */
  async load(): Promise<AlertEvent[]> {
    if (this.kv instanceof Bucket) await this.kv.purgeDeletes();
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${this.prefix}>`)) keys.push(key);
    const firing: AlertEvent[] = [];
    for (const key of keys) {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT' || entry.length === 0) continue;
      const checked = validateAlertEvent(entry.json());
      if (checked.ok && checked.event.status === 'firing') firing.push(checked.event);
      else this.log.warn({ key }, 'episode journal: an entry that is no firing alert, ignored');
    }
    return firing;
  }

  /** Records one event: a firing alert is kept, a resolved one forgotten. */
  async write(e: AlertEvent): Promise<void> {
    const key = this.prefix + fingerprint(e.labels);
    if (e.status === 'firing') await this.kv.put(key, JSON.stringify(e));
    else await this.kv.delete(key);
  }
}
