/**
 * Where the alerter keeps a collection of its state (alerts, notification log, silences) so that it survives a
 * restart. Reads are served from memory; the store is read once at start and written through on every change. Keys
 * are restricted to `[-/_=.a-zA-Z0-9]` so that a NATS KV bucket can hold them unchanged.
 */
export interface StateStore<T> {
  /** Every entry stored, read once at start. */
  load(): Promise<Map<string, T>>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A StateStore that lives and dies with the process: for tests, and for an alerter without persistence. */
export class MemoryStateStore<T> implements StateStore<T> {
  readonly entries = new Map<string, T>();

  async load(): Promise<Map<string, T>> {
    return new Map(this.entries);
  }

  async put(key: string, value: T): Promise<void> {
    this.entries.set(key, structuredClone(value));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
