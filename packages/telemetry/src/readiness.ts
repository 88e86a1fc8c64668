import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/** One condition of readiness: resolves when it holds, throws (or rejects) saying why not. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<unknown> | void;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why the check failed. */
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckResult[];
}

/** A check that answers slower than this counts as failed: a stalled dependency is not a ready one. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * What /readyz answers. A service starts its endpoint first (so /healthz answers while it starts) and hands over its
 * checks once its parts exist; until then it is not ready.
 */
export class Readiness {
  private checks: readonly ReadinessCheck[] | undefined;

  /** The checks that decide readiness from now on, all of which must pass. */
  use(checks: readonly ReadinessCheck[]): void {
    this.checks = checks;
  }

  async evaluate(timeoutMs = CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
    const checks = this.checks;
    if (checks === undefined) return { ready: false, checks: [{ name: 'startup', ok: false, error: 'starting' }] };
    const results = await Promise.all(checks.map((c) => runCheck(c, timeoutMs)));
    return { ready: results.every((r) => r.ok), checks: results };
  }
}

async function runCheck(c: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => c.check()), timeout]);
    return { name: c.name, ok: true };
  } catch (err) {
    return { name: c.name, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Connected to NATS: the connection is open and the server answers a round trip. */
export function natsReadiness(nc: NatsConnection): ReadinessCheck {
  return {
    name: 'nats',
    async check() {
      if (nc.isClosed()) throw new Error('connection closed');
      await nc.flush();
    },
  };
}

/** The JetStream streams the service reads or writes exist. */
export function streamsReadiness(jsm: JetStreamManager, streams: readonly string[]): ReadinessCheck {
  return {
    name: 'streams',
    async check() {
      await Promise.all(
        streams.map((s) =>
          jsm.streams.info(s).catch((err: unknown) => {
            throw new Error(`stream ${s}: ${err instanceof Error ? err.message : String(err)}`);
          }),
        ),
      );
    },
  };
}

/** Connected to ClickHouse: the store answers a query. */
export function clickhouseReadiness(store: { query(sql: string): Promise<unknown> }): ReadinessCheck {
  return { name: 'clickhouse', check: () => store.query('SELECT 1') };
}
