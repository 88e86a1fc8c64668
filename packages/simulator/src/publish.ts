import type { JetStreamClient } from '@nats-io/jetstream';
import {
  encodeEvent,
  encodeMessage,
  eventMessageId,
  eventSubject,
  gpuSubject,
  messageId,
  type WireMessage,
} from '@kiln/wire';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet } from './fleet.js';
import { ConcurrencyLimit } from '@kiln/flow';

export interface PublishOptions {
  /** replay: tick as fast as the server acknowledges, event time advancing by intervalMs per tick;
   *  realtime: one tick per intervalMs of wall time, stamped with the wall clock (create the Fleet with
   *  startMs = Date.now() so that fault times count from the start of the run). */
  mode: 'realtime' | 'replay';
  /** Stop after this much event time (ms); with `ticks`, whichever comes first; neither = until aborted. */
  durationMs?: number;
  /** Stop after this many ticks. */
  ticks?: number;
  /** Publishes awaiting their PubAck at once; default 128. */
  inflight?: number;
  /** PubAck timeout per attempt (ms); default 5000. */
  ackTimeoutMs?: number;
  /** Attempts per message on a timeout or no responders (the same Nats-Msg-Id each time); default 3. */
  attempts?: number;
  /** Stops at the next tick boundary; what is in flight is still awaited. */
  signal?: AbortSignal;
  /** Called after each tick has been handed to the server, with the counts acknowledged so far. */
  onProgress?(stats: PublishStats): void;
}

export interface PublishStats {
  /** Ticks whose messages have all been sent. */
  ticks: number;
  /** Messages the server acknowledged, stored or duplicate. */
  messages: number;
  /** GPU samples in those messages. */
  samples: number;
  /** Acknowledged messages the server reported as duplicates (a Nats-Msg-Id seen within its duplicate window). */
  duplicates: number;
  /** Body bytes acknowledged (bodies are ASCII: characters = bytes). */
  bytes: number;
  /** Event time of the latest tick; NaN before the first. */
  lastTs: number;
}

export interface PublishResult extends PublishStats {
  /** The signal stopped the run before its ticks or duration were done. */
  aborted: boolean;
}

const DEFAULT_INFLIGHT = 128;
const MAX_INFLIGHT = 4096;

/**
 * Publishes the fleet's messages to JetStream: each tick's messages are encoded and published to
 * kiln.v1.gpu.<cluster>.<rack>.<host> with Nats-Msg-Id <host>:<seq>, keeping at most `inflight` PubAcks
 * outstanding. Publishing the same ticks again is answered as duplicates. Resolves with the acknowledged counts once
 * every publish has been acknowledged; rejects with the first publish that failed all its attempts, after the
 * others have settled.
 */
export async function publishFleet(js: JetStreamClient, fleet: Fleet, options: PublishOptions): Promise<PublishResult> {
  const { mode, signal, onProgress } = options;
  if (mode !== 'realtime' && mode !== 'replay')
    throw new RangeError(`mode must be 'realtime' or 'replay', got ${String(mode)}`);
  const inflight = positiveInteger('inflight', options.inflight ?? DEFAULT_INFLIGHT, MAX_INFLIGHT);
  const timeout = positiveInteger('ackTimeoutMs', options.ackTimeoutMs ?? 5000, 3_600_000);
  const attempts = positiveInteger('attempts', options.attempts ?? 3, 100);
  const tickLimit = tickBudget(fleet.intervalMs, options.ticks, options.durationMs);

  const stats: PublishStats = { ticks: 0, messages: 0, samples: 0, duplicates: 0, bytes: 0, lastTs: NaN };
  // nats.js has no PublishAsync with max-pending: the window of unacknowledged publishes is kept here. The first
  // failure ends the run; later ones are the same outage.
  const acks = new ConcurrencyLimit(inflight);
  let failure: { error: unknown } | undefined;
  const subjects = new Map<string, string>();
  const subjectOf = (m: WireMessage): string => {
    let subject = subjects.get(m.host);
    if (subject === undefined) {
      subject = gpuSubject(m.cluster, m.rack, m.host);
      subjects.set(m.host, subject);
    }
    return subject;
  };
  const wallStart = Date.now();
  let aborted = false;
  try {
    while (stats.ticks < tickLimit) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      let at: number | undefined;
      if (mode === 'realtime') {
        const due = wallStart + stats.ticks * fleet.intervalMs;
        if (due > Date.now() && !(await sleepUntil(due, signal))) {
          aborted = true;
          break;
        }
        at = Number.isNaN(fleet.lastTs) ? Date.now() : Math.max(Date.now(), fleet.lastTs + 1);
      }
      const messages = fleet.tickShared(at);
      for (const message of messages) {
        await acks.acquire();
        if (failure) {
          acks.release();
          throw failure.error;
        }
        const body = encodeMessage(message);
        const samples = message.gpus.length;
        js.publish(subjectOf(message), body, {
          msgID: messageId(message.host, message.seq),
          timeout,
          retries: attempts,
        }).then(
          (ack) => {
            stats.messages++;
            stats.samples += samples;
            stats.bytes += body.length;
            if (ack.duplicate) stats.duplicates++;
            acks.release();
          },
          (error: unknown) => {
            failure ??= { error };
            acks.release();
          },
        );
      }
      // Xid storms: events go to the event stream, as an agent reading the kernel log publishes them.
      for (const e of fleet.tickEvents()) {
        await acks.acquire();
        js.publish(eventSubject(e.cluster, e.rack, e.host), encodeEvent(e), {
          msgID: eventMessageId(e.host, e.seq),
          timeout,
          retries: attempts,
        }).then(
          () => acks.release(),
          (error: unknown) => {
            failure ??= { error };
            acks.release();
          },
        );
      }
      stats.ticks++;
      stats.lastTs = fleet.lastTs;
      onProgress?.({ ...stats });
    }
  } finally {
    // Settle what is in flight whatever ended the loop; then report the first publish that failed.
    await acks.idle();
    if (failure) {
      const { error } = failure;
      throw new Error(
        `publishing stopped after ${stats.ticks} ticks (${stats.messages} messages acknowledged): ${describe(error)}`,
        { cause: error },
      );
    }
  }
  return { ...stats, aborted };
}

/** Sleeps until wall time `due`; false when the signal aborts first. */
async function sleepUntil(due: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    // A timer may fire a millisecond before the wall clock reads `due` (they round differently): sleep on until it does,
    // so that a tick is never stamped before its time.
    for (let left = due - Date.now(); left > 0; left = due - Date.now())
      await sleep(left, undefined, signal ? { signal } : undefined);
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

function tickBudget(intervalMs: number, ticks: number | undefined, durationMs: number | undefined): number {
  let limit = Infinity;
  if (ticks !== undefined) {
    if (!Number.isSafeInteger(ticks) || ticks < 0) throw new RangeError(`ticks must be an integer >= 0, got ${ticks}`);
    limit = ticks;
  }
  if (durationMs !== undefined) {
    if (!(durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${durationMs}`);
    limit = Math.min(limit, Math.ceil(durationMs / intervalMs));
  }
  return limit;
}

function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer in 1..${max}, got ${value}`);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
