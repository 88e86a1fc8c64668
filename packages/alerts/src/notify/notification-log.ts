import type { Alert, AlertStatus } from '../alert.js';

/** The last state of one alert that one receiver was notified of. */
export interface NotificationLogEntry {
  readonly status: AlertStatus;
  /** Identifies the firing episode (the alert event's startsAt). */
  readonly startsAt: number;
  /** Wall-clock ms of the notification: what a repeat interval or a retention period measures from. */
  readonly notifiedAt: number;
}

/**
 * What each receiver was notified of, per alert (Alertmanager's nflog). Asynchronous so that a shared, persistent
 * implementation (a NATS KV bucket) can stand in for the in-memory one and survive restarts and fail-over.
 */
export interface NotificationLog {
  get(receiver: string, fingerprint: string): Promise<NotificationLogEntry | undefined>;
  set(receiver: string, fingerprint: string, entry: NotificationLogEntry): Promise<void>;
}

/**
 * Whether a receiver must hear of `alert` given what it last heard of it: each episode's firing once and its
 * resolution once. A later episode (a larger startsAt) is news; an earlier one is a stale replay. With no entry the
 * alert is sent even when resolved: a lost or expired log must not leave an incident open forever (at least once).
 */
export function needsNotification(entry: NotificationLogEntry | undefined, alert: Alert): boolean {
  if (entry === undefined || alert.startsAt > entry.startsAt) return true;
  if (alert.startsAt < entry.startsAt) return false;
  return alert.status === 'resolved' && entry.status === 'firing';
}

export interface MemoryNotificationLogOptions {
  /** How long an entry is kept after its notification (Alertmanager's --data.retention, 120 h). */
  readonly retentionMs?: number;
  readonly now?: () => number;
}

const DEFAULT_RETENTION_MS = 120 * 3600_000;
/** Alertmanager's --data.maintenance-interval. */
const SWEEP_INTERVAL_MS = 15 * 60_000;

/** The notification log of a single alerter process; lost on restart. */
export class MemoryNotificationLog implements NotificationLog {
  private readonly entries = new Map<string, NotificationLogEntry>();
  private readonly retentionMs: number;
  private readonly now: () => number;
  private nextSweepAt: number;

  constructor(options: MemoryNotificationLogOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
    this.nextSweepAt = this.now() + Math.min(this.retentionMs, SWEEP_INTERVAL_MS);
  }

  async get(receiver: string, fingerprint: string): Promise<NotificationLogEntry | undefined> {
    const key = logKey(receiver, fingerprint);
    const entry = this.entries.get(key);
    if (entry !== undefined && this.isExpired(entry, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async set(receiver: string, fingerprint: string, entry: NotificationLogEntry): Promise<void> {
    this.entries.set(logKey(receiver, fingerprint), entry);
    const now = this.now();
    if (now >= this.nextSweepAt) this.sweep(now);
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (this.isExpired(entry, now)) this.entries.delete(key);
    }
    this.nextSweepAt = now + Math.min(this.retentionMs, SWEEP_INTERVAL_MS);
  }

  private isExpired(entry: NotificationLogEntry, now: number): boolean {
    return now - entry.notifiedAt >= this.retentionMs;
  }
}

function logKey(receiver: string, fingerprint: string): string {
  return `${receiver}\u0000${fingerprint}`;
}
