import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpReceiver, type HttpReceiver } from '@kiln/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationLogEntry, NotifyOutcome, StateStore } from '../src/index.js';
import { createReceiver, NotificationLog, Notifier, NotifierClosedError } from '../src/index.js';
import {
  answerWith,
  FAST_RETRY,
  gpuAlertEvent,
  notifierFor,
  notifyState,
  onGpu,
  resolvedOf,
  snapshotOf,
  T0,
} from './helpers.js';

const endpoints: HttpReceiver[] = [];
async function endpoint(...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> {
  const e = await startHttpReceiver(...args);
  endpoints.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

const webhook = (e: HttpReceiver, name = 'hook', extra: object = {}) =>
  createReceiver({ type: 'webhook', url: e.url, name, ...extra });
const summarize = (outcomes: NotifyOutcome[]) => outcomes.map((o) => [o.result, o.attempts, o.httpStatus]);
const bodies = (e: HttpReceiver) =>
  e.requests.map(
    (r) => JSON.parse(r.body) as { status: string; alerts: { status: string; labels: { gpu: string } }[] },
  );
const statusesSeen = (e: HttpReceiver) => bodies(e).map((b) => b.status);

describe('Notifier retries', () => {
  it('retries 5xx and succeeds on the third attempt', async () => {
    const e = await endpoint(answerWith([500, 500, 200]));
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    expect(await notifyState(notifier, 'hook', gpuAlertEvent())).toBe(true);
    expect(e.requests).toHaveLength(3);
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, 500],
      ['retrying', 2, 500],
      ['delivered', 3, 200],
    ]);
    expect(outcomes[0]).toMatchObject({
      error: 'HTTP 500: status 500 from test endpoint',
      reason: 'first notification',
    });
  });

  it('waits as long as a 429 Retry-After asks, not the backoff', async () => {
    const e = await endpoint(answerWith([429, 200], { 429: { 'retry-after': '1' } }));
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    await notifyState(notifier, 'hook', gpuAlertEvent());
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, 429],
      ['delivered', 2, 200],
    ]);
    const gap = e.requests[1]!.at - e.requests[0]!.at;
    // The backoff alone would have retried within FAST_RETRY.maxDelayMs (40 ms); Retry-After: 1 asks for a second.
    expect(outcomes[0]!.retryInMs).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeGreaterThanOrEqual(990);
  });

  it('treats 400 as final, reports it, and leaves the alert unrecorded so the next flush tries again', async () => {
    const e = await endpoint(answerWith([400, 200]));
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    expect(await notifyState(notifier, 'hook', gpuAlertEvent())).toBe(false);
    expect(outcomes).toMatchObject([
      { result: 'failed', attempts: 1, httpStatus: 400, receiver: 'hook', receiverType: 'webhook', status: 'firing' },
    ]);
    expect(await notifyState(notifier, 'hook', gpuAlertEvent())).toBe(true);
    expect(e.requests).toHaveLength(2);
  });

  it('times out a request that gets no answer and retries it', async () => {
    const e = await endpoint((_req, n, res) => {
      if (n > 0) res.writeHead(200).end();
    });
    const { notifier, outcomes } = notifierFor([webhook(e)], { ...FAST_RETRY, requestTimeoutMs: 200 });
    await notifyState(notifier, 'hook', gpuAlertEvent());
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, undefined],
      ['delivered', 2, 200],
    ]);
    expect(outcomes[0]!.error).toBe('no response within 200 ms');
  });

  it('retries network errors until the retry time runs out, then reports failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const receiver = createReceiver({ type: 'webhook', url: `http://127.0.0.1:${port}/`, name: 'gone' });
    const { notifier, outcomes } = notifierFor([receiver], { ...FAST_RETRY, maxElapsedMs: 150 });
    await notifyState(notifier, 'gone', gpuAlertEvent());
    const last = outcomes.at(-1)!;
    expect(last.result).toBe('failed');
    expect(last.attempts).toBeGreaterThan(1);
    expect(last.error).toMatch(/ECONNREFUSED.*gave up: next attempt in \d+ ms would pass the 150 ms retry limit/);
  });
});

describe('Notifier dedup, ordering and coalescing', () => {
  it('notifies each state of an episode once, and a resolution only to a receiver that heard it fire', async () => {
    const e = await endpoint();
    const { notifier } = notifierFor([webhook(e)]);
    const episode = [gpuAlertEvent(), resolvedOf(gpuAlertEvent())];
    for (const ev of [...episode, ...episode]) await notifyState(notifier, 'hook', ev);
    expect(statusesSeen(e)).toEqual(['firing', 'resolved']);
    await notifyState(notifier, 'hook', gpuAlertEvent({ startsAt: T0 + 3_600_000 }));
    expect(statusesSeen(e)).toEqual(['firing', 'resolved', 'firing']);
    // An alert that fired and cleared before anyone was told pages nobody.
    await notifyState(notifier, 'hook', resolvedOf(onGpu('5')));
    expect(e.requests).toHaveLength(3);
  });

  it('holds a resolve back until its trigger got through', async () => {
    const e = await endpoint(answerWith([503, 503, 200]));
    const { notifier } = notifierFor([webhook(e)]);
    await Promise.all([
      notifyState(notifier, 'hook', gpuAlertEvent()),
      notifyState(notifier, 'hook', resolvedOf(gpuAlertEvent())),
    ]);
    expect(statusesSeen(e)).toEqual(['firing', 'firing', 'firing', 'resolved']);
  });

  it('collapses the requests that arrive while a group is being notified into one follow-up with the latest state', async () => {
    const e = await endpoint((_req, n, res) => setTimeout(() => res.writeHead(200).end(), n === 0 ? 300 : 0));
    const { notifier } = notifierFor([webhook(e)]);
    let state = snapshotOf(onGpu('0'));
    const request = { receiver: 'hook', lane: 'rack r0042', repeatIntervalMs: 3_600_000, snapshot: () => state };
    const first = notifier.notify(request);
    await e.waitFor((r) => r.length === 1, 5_000);
    const later: Promise<void>[] = [];
    for (const gpu of ['1', '2', '3']) {
      state = snapshotOf(onGpu('0'), ...['1', '2', '3'].filter((g) => g <= gpu).map((g) => onGpu(g)));
      later.push(notifier.notify(request));
    }
    await Promise.all([first, ...later]);
    expect(bodies(e).map((b) => b.alerts.map((a) => a.labels.gpu).join(''))).toEqual(['0', '0123']);
  });

  it('reports a notification log it cannot write, and notifies again since nothing was recorded', async () => {
    const e = await endpoint();
    const failing: StateStore<NotificationLogEntry> = {
      load: async () => new Map(),
      put: () => Promise.reject(new Error('KV bucket unavailable')),
      delete: async () => {},
    };
    const { notifier, outcomes } = notifierFor([webhook(e)], FAST_RETRY, {
      log: new NotificationLog({ store: failing }),
    });
    expect(await notifyState(notifier, 'hook', gpuAlertEvent())).toBe(false);
    expect(outcomes.map((o) => o.result)).toEqual(['delivered', 'error']);
    expect(outcomes[1]!.error).toMatch(/notification log not written.*KV bucket unavailable/);
  });
});

describe('Notifier rate limit', () => {
  it('holds notifications over the limit and sends the latest state of each group, dropping none', async () => {
    const e = await endpoint();
    const limited = webhook(e, 'slow', { rate_limit: { per_minute: 120, burst: 1 } });
    const { notifier, outcomes } = notifierFor([limited]);
    // Three groups at once: one goes now, the other two wait half a second each (120/min).
    await Promise.all(['0', '1', '2'].map((gpu) => notifyState(notifier, 'slow', onGpu(gpu))));
    expect(e.requests).toHaveLength(3);
    expect(new Set(bodies(e).map((b) => b.alerts[0]!.labels.gpu))).toEqual(new Set(['0', '1', '2']));
    expect(outcomes.filter((o) => o.result === 'throttled').length).toBeGreaterThanOrEqual(2);
    const gaps = e.requests.slice(1).map((r, i) => r.at - e.requests[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(450);
  });

  it('sends a group that changed while it waited for the limit once, with the change in it', async () => {
    const e = await endpoint();
    const limited = webhook(e, 'slow', { rate_limit: { per_minute: 60, burst: 1 } });
    const { notifier } = notifierFor([limited]);
    await notifyState(notifier, 'slow', onGpu('7'));
    let state = snapshotOf(onGpu('0'));
    const waiting = notifier.notify({
      receiver: 'slow',
      lane: 'rack',
      repeatIntervalMs: 3_600_000,
      snapshot: () => state,
    });
    state = snapshotOf(onGpu('0'), onGpu('1'));
    await waiting;
    expect(bodies(e).map((b) => b.alerts.map((a) => a.labels.gpu).join(''))).toEqual(['7', '01']);
  });
});

describe('Notifier boundaries', () => {
  it('keeps at most maxConcurrentRequests requests open per receiver', async () => {
    let open = 0;
    let mostOpen = 0;
    const e = await endpoint((_req, _n, res) => {
      mostOpen = Math.max(mostOpen, ++open);
      setTimeout(() => {
        open--;
        res.writeHead(200).end();
      }, 20);
    });
    const { notifier, outcomes } = notifierFor([webhook(e)], FAST_RETRY, { maxConcurrentRequests: 2 });
    await Promise.all(['0', '1', '2', '3', '4', '5', '6', '7'].map((gpu) => notifyState(notifier, 'hook', onGpu(gpu))));
    expect(e.requests).toHaveLength(8);
    expect(outcomes.every((o) => o.result === 'delivered')).toBe(true);
    expect(mostOpen).toBe(2);
  });

  it('refuses duplicate receiver names and unknown receivers', async () => {
    const e = await endpoint();
    expect(() => new Notifier({ receivers: [webhook(e, 'x'), webhook(e, 'x')] })).toThrow(
      /two receivers are named "x"/,
    );
    const { notifier } = notifierFor([webhook(e)]);
    await expect(notifyState(notifier, 'nobody', gpuAlertEvent())).rejects.toThrow(/no receiver named "nobody"/);
  });

  it('close cancels pending retries, reports them failed and refuses new requests', async () => {
    const e = await endpoint(answerWith([503]));
    const { notifier, outcomes } = notifierFor([webhook(e)], {
      ...FAST_RETRY,
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
      maxElapsedMs: 120_000,
    });
    const handled = notifyState(notifier, 'hook', gpuAlertEvent());
    await e.waitFor((r) => r.length === 1, 10_000);
    await notifier.close();
    expect(await handled).toBe(false);
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, 503],
      ['failed', 1, 503],
    ]);
    expect(outcomes[1]!.error).toMatch(/notifier closed while waiting to retry/);
    await expect(notifyState(notifier, 'hook', gpuAlertEvent())).rejects.toThrow(NotifierClosedError);
  });

  it('close aborts a request in flight and reports it failed', async () => {
    const e = await endpoint(() => undefined); // never answers
    const { notifier, outcomes } = notifierFor([webhook(e)], { ...FAST_RETRY, requestTimeoutMs: 60_000 });
    const handled = notifyState(notifier, 'hook', gpuAlertEvent());
    await e.waitFor((r) => r.length === 1, 10_000);
    await notifier.close();
    await handled;
    expect(outcomes).toMatchObject([{ result: 'failed', attempts: 1, error: 'request aborted: notifier closed' }]);
  });
});
