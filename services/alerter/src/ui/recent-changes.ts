import type { Alert, Labels } from '@kiln/alerts';

/** One alert state change as the web UI lists it. */
export interface RecentChange {
  /** Event time of the change (Unix ms): when the alert fired, or when its condition ended. */
  readonly at: number;
  readonly event: 'firing' | 'resolved' | 'flapping';
  readonly fingerprint: string;
  readonly labels: Labels;
  /** The alert's summary annotation, cut to SUMMARY_CHARS: the list is for reading, the full text is in the history table. */
  readonly summary: string;
}

/** What the alerter keeps when not told otherwise: a shift's worth of changes on a quiet fleet, an hour's on a busy one. */
export const RECENT_CHANGES = 200;
const SUMMARY_CHARS = 300;

/**
 * The last state changes of alerts, in memory, oldest overwritten first. It answers "what just happened" on the web
 * UI without a round trip to the store; it starts empty after a restart, and the store's kiln.alerts table keeps the
 * full record. Bounded in entries and in the text each keeps, so a burst of alerts cannot grow it.
 */
export class RecentChanges {
  private readonly ring: (RecentChange | undefined)[];
  private next = 0;

  constructor(readonly capacity: number = RECENT_CHANGES) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<RecentChange | undefined>(capacity);
  }

  add(change: { at: number; event: RecentChange['event']; alert: Alert }): void {
    const { alert } = change;
    this.ring[this.next % this.capacity] = {
      at: change.at,
      event: change.event,
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      summary: (alert.annotations['summary'] ?? '').slice(0, SUMMARY_CHARS),
    };
    this.next++;
  }

  /** Newest first. */
  list(): RecentChange[] {
    const out: RecentChange[] = [];
    for (let i = this.next - 1; i >= Math.max(0, this.next - this.capacity); i--)
      out.push(this.ring[i % this.capacity] as RecentChange);
    return out;
  }
}
