import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpReceiver, type HttpReceiver } from '@kiln/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationLog, NotifyOutcome } from '../src/index.js';
import { AlertValidationError, createReceiver, MemoryNotificationLog, Notifier, NotifierClosedError } from '../src/index.js';
import { answerWith, FAST_RETRY, gpuAlertEvent, notifierFor, resolvedOf, T0 } from './helpers.js';

const endpoints: HttpReceiver[] = [];
async function endpoint(...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> {
  const e = await startHttpReceiver(...args);
  endpoints.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

const webhook = (e: HttpReceiver, name = 'hook') => createReceiver({ type: 'webhook', url: e.url, name });
const summarize = (outcomes: NotifyOutcome[]) => outcomes.map((o) => [o.result, o.attempts, o.httpStatus]);
const statusesSeen = (e: HttpReceiver) => e.requests.map((r) => (JSON.parse(r.body) as { status: string }).status);

describe('Notifier retries', () => {
  it('retries 5xx and succeeds on the third attempt', async () => {
    const e = await endpoint(answerWith([500, 500, 200]));
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    await notifier.handle(gpuAlertEvent());
    expect(e.requests).toHaveLength(3);
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, 500],
      ['retrying', 2, 500],
      ['delivered', 3, 200],
    ]);
    expect(outcomes[0]!.error).toBe('HTTP 500: status 500 from test endpoint');
    expect(outcomes[0]!.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('waits as long as a 429 Retry-After asks, not the backoff', async () => {
    const e = await endpoint(answerWith([429, 200], { 429: { 'retry-after': '1' } }));
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    await notifier.handle(gpuAlertEvent());
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, 429],
      ['delivered', 2, 200],
    ]);
    const gap = e.requests[1]!.at - e.requests[0]!.at;
    // The backoff alone would have retried within FAST_RETRY.maxDelayMs (40 ms); Retry-After: 1 asks for a second.
    expect(outcomes[0]!.retryInMs).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(gap).toBeGreaterThan(10 * FAST_RETRY.maxDelayMs!);
  });

  it('treats 400 as final, reports it, and leaves the alert unrecorded so it is tried again', async () => {
    const e = await endpoint(answerWith([400]));
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    await notifier.handle(gpuAlertEvent());
    expect(e.requests).toHaveLength(1);
    expect(outcomes).toMatchObject([{ result: 'failed', attempts: 1, httpStatus: 400, receiver: 'hook', receiverType: 'webhook', status: 'firing' }]);
    expect(outcomes[0]!.error).toBe('HTTP 400: status 400 from test endpoint');
    await notifier.handle(gpuAlertEvent());
    expect(e.requests).toHaveLength(2);
  });

  it('times out a request that gets no answer and retries it', async () => {
    const e = await endpoint((_req, n, res) => {
      if (n > 0) res.writeHead(200).end();
    });
    const { notifier, outcomes } = notifierFor([webhook(e)], { ...FAST_RETRY, requestTimeoutMs: 200 });
    await notifier.handle(gpuAlertEvent());
    expect(e.requests).toHaveLength(2);
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
    await notifier.handle(gpuAlertEvent());
    const last = outcomes.at(-1)!;
    expect(last.result).toBe('failed');
    expect(last.attempts).toBeGreaterThan(1);
    expect(last.error).toMatch(/ECONNREFUSED.*gave up: next attempt in \d+ ms would pass the 150 ms retry limit/);
    expect(outcomes.slice(0, -1).every((o) => o.result === 'retrying')).toBe(true);
  });
});

describe('Notifier dedup and ordering', () => {
  it('notifies once for an event delivered twice, also when both arrive together', async () => {
    const e = await endpoint();
    const { notifier, outcomes } = notifierFor([webhook(e)]);
    await notifier.handle(gpuAlertEvent());
    await notifier.handle(gpuAlertEvent());
    await Promise.all([notifier.handle(resolvedOf(gpuAlertEvent())), notifier.handle(resolvedOf(gpuAlertEvent()))]);
    expect(statusesSeen(e)).toEqual(['firing', 'resolved']);
    expect(outcomes.map((o) => `${o.result}:${o.status}`)).toEqual(['delivered:firing', 'deduplicated:firing', 'delivered:resolved', 'deduplicated:resolved']);
  });

  it('replaying an episode sends nothing new, a new episode of the same alert is sent', async () => {
    const e = await endpoint();
    const { notifier } = notifierFor([webhook(e)]);
    const episode = [gpuAlertEvent(), resolvedOf(gpuAlertEvent())];
    for (const ev of [...episode, ...episode]) await notifier.handle(ev);
    expect(statusesSeen(e)).toEqual(['firing', 'resolved']);
    await notifier.handle(gpuAlertEvent({ startsAt: T0 + 3_600_000 }));
    expect(statusesSeen(e)).toEqual(['firing', 'resolved', 'firing']);
  });

  it('holds a resolve back until its trigger got through', async () => {
    const e = await endpoint(answerWith([503, 503, 200]));
    const { notifier } = notifierFor([webhook(e)]);
    await Promise.all([notifier.handle(gpuAlertEvent()), notifier.handle(resolvedOf(gpuAlertEvent()))]);
    expect(statusesSeen(e)).toEqual(['firing', 'firing', 'firing', 'resolved']);
  });

  it('keeps receivers independent: one failing does not hold back or mark the other', async () => {
    const bad = await endpoint(answerWith([400]));
    const good = await endpoint();
    const { notifier, outcomes } = notifierFor([webhook(bad, 'bad'), webhook(good, 'good')]);
    await notifier.handle(gpuAlertEvent());
    expect(outcomes.map((o) => `${o.receiver}:${o.result}`).sort()).toEqual(['bad:failed', 'good:delivered']);
    expect(() => new Notifier({ receivers: [webhook(good, 'x'), webhook(bad, 'x')] })).toThrow(/two receivers are named "x"/);
  });

  it('notifies anyway when the notification log cannot be read, and says so', async () => {
    const e = await endpoint();
    const memory = new MemoryNotificationLog();
    const broken: NotificationLog = { get: () => Promise.reject(new Error('KV bucket unavailable')), set: (...args) => memory.set(...args) };
    const outcomes: NotifyOutcome[] = [];
    const notifier = new Notifier({ receivers: [webhook(e)], log: broken, retry: FAST_RETRY, onOutcome: (o) => outcomes.push(o) });
    await notifier.handle(gpuAlertEvent());
    expect(e.requests).toHaveLength(1);
    expect(outcomes.map((o) => o.result)).toEqual(['error', 'delivered']);
    expect(outcomes[0]!.error).toBe('dedup stage: notification log unreadable, notifying anyway: KV bucket unavailable');
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
    const outcomes: NotifyOutcome[] = [];
    const notifier = new Notifier({ receivers: [webhook(e)], maxConcurrentRequests: 2, retry: FAST_RETRY, onOutcome: (o) => outcomes.push(o) });
    const gpus = ['0', '1', '2', '3', '4', '5', '6', '7'];
    await Promise.all(gpus.map((gpu) => notifier.handle(gpuAlertEvent({ labels: { ...gpuAlertEvent().labels, gpu } }))));
    expect(e.requests).toHaveLength(8);
    expect(outcomes.every((o) => o.result === 'delivered')).toBe(true);
    expect(mostOpen).toBe(2);
  });

  it('rejects events that break the alert contract and sends nothing', async () => {
    const e = await endpoint();
    const { notifier } = notifierFor([webhook(e)]);
    const bad = gpuAlertEvent({ labels: { alertname: 'X', severity: 'page', category: 'thermal', cluster: 'c', rack: 'r' } });
    await expect(notifier.handle(bad)).rejects.toThrow(AlertValidationError);
    await notifier.flush();
    expect(e.requests).toHaveLength(0);
  });

  it('close cancels pending retries, reports them failed and refuses new events', async () => {
    const e = await endpoint(answerWith([503]));
    const { notifier, outcomes } = notifierFor([webhook(e)], { ...FAST_RETRY, initialDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 120_000 });
    const handled = notifier.handle(gpuAlertEvent());
    await e.waitFor((r) => r.length === 1, 10_000);
    await notifier.close();
    await handled;
    expect(summarize(outcomes)).toEqual([
      ['retrying', 1, 503],
      ['failed', 1, 503],
    ]);
    expect(outcomes[1]!.error).toMatch(/notifier closed while waiting to retry/);
    await expect(notifier.handle(gpuAlertEvent())).rejects.toThrow(NotifierClosedError);
  });

  it('close aborts a request in flight and reports it failed', async () => {
    const e = await endpoint(() => undefined); // never answers
    const { notifier, outcomes } = notifierFor([webhook(e)], { ...FAST_RETRY, requestTimeoutMs: 60_000 });
    const handled = notifier.handle(gpuAlertEvent());
    await e.waitFor((r) => r.length === 1, 10_000);
    await notifier.close();
    await handled;
    expect(outcomes).toMatchObject([{ result: 'failed', attempts: 1, error: 'request aborted: notifier closed' }]);
  });
});
