import type { AlertStatus } from '../alert.js';
import { hashString } from '../fingerprint.js';
import type { StateStore } from '../state-store.js';
import { MemoryStateStore } from '../state-store.js';

/** The last state of one alert that one receiver was notified of. */
export interface NotificationLogEntry {
  readonly status: AlertStatus;
  /** Identifies the firing episode (the alert's startsAt). */
  readonly startsAt: number;
  /** Wall-clock ms of the notification: what repeat_interval and the retention period measure from. */
  readonly notifiedAt: number;
}

export interface NotificationLogOptions {
  /** Where entries persist; in memory unless given (a NATS KV bucket survives restarts without re-paging). */
  readonly store?: StateStore<NotificationLogEntry>;
  /** How long an entry is kept after its notification (Alertmanager's --data.retention, 120 h). */
  readonly retentionMs?: number;
  readonly now?: () => number;
}

const DEFAULT_RETENTION_MS = 120 * 3600_000;

/**
 * What each receiver was notified of, per alert (Alertmanager's nflog, kept per alert rather than per group so that
 * a receiver hears of each alert state once even when several routes lead to it). Reads come from memory; every
 * write goes through to the store before the notification counts as recorded.
 */
export class NotificationLog {
  private readonly entries = new Map<string, NotificationLogEntry>();
  private readonly store: StateStore<NotificationLogEntry>;
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(options: NotificationLogOptions = {}) {
    this.store = options.store ?? new MemoryStateStore();
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
  }

  /** Reads the persisted entries; call once before use. */
  async load(): Promise<void> {
    for (const [key, entry] of await this.store.load()) this.entries.set(key, entry);
  }

  get(receiver: string, fingerprint: string): NotificationLogEntry | undefined {
    const entry = this.entries.get(logKey(receiver, fingerprint));
    return entry !== undefined && this.now() - entry.notifiedAt < this.retentionMs ? entry : undefined;
  }

  async set(receiver: string, fingerprint: string, entry: NotificationLogEntry): Promise<void> {
    const key = logKey(receiver, fingerprint);
    this.entries.set(key, entry);
    await this.store.put(key, entry);
  }

  /** Drops entries past the retention period; returns how many. */
  async gc(): Promise<number> {
    const now = this.now();
    const expired = [...this.entries].filter(([, e]) => now - e.notifiedAt >= this.retentionMs).map(([k]) => k);
    for (const key of expired) this.entries.delete(key);
    await Promise.all(expired.map((key) => this.store.delete(key)));
    return expired.length;
  }

  /** Entries held, expired ones not yet collected included. */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * Receiver names are free text (and may name secrets' destinations), so the key uses a hash of the name: short,
 * stable, and valid as a KV key.
 */
function logKey(receiver: string, fingerprint: string): string {
  return `${hashString(receiver)}.${fingerprint}`;
}
