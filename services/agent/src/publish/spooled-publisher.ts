import { join } from 'node:path';
import type { Logger } from '@kiln/log';
import { Publisher } from './publisher.js';
import { Spool } from './spool.js';

/** What a spool and its publisher take from the agent's configuration section. */
export interface SpoolSettings {
  readonly spool_max_bytes: number;
  readonly spool_max_age_ms: number;
  readonly inflight: number;
  readonly ack_timeout_ms: number;
}

/** A spool under `<dir>/spool` and the publisher that sends and replays it: one per stream an agent feeds. */
export function spooledPublisher(
  dir: string,
  settings: SpoolSettings,
  log: Logger,
): { spool: Spool; publisher: Publisher } {
  const spool = new Spool({
    dir: join(dir, 'spool'),
    maxBytes: settings.spool_max_bytes,
    maxAgeMs: settings.spool_max_age_ms,
    log,
  });
  const publisher = new Publisher({ spool, inflight: settings.inflight, ackTimeoutMs: settings.ack_timeout_ms, log });
  return { spool, publisher };
}
