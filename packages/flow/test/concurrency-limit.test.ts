import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../src/index.js';

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most max tasks at once, the rest in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limit.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await turn();
    expect(started).toEqual([0, 1]);
    expect([limit.active, limit.pending]).toEqual([2, 4]);
    gates[1]!.resolve();
    await turn();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(limit.pending).toBe(0);
  });

  it('hands a released slot to the waiter, not to a newcomer', async () => {
    const limit = new ConcurrencyLimit(1);
    await limit.acquire();
    let waiterHasIt = false;
    const waiter = limit.acquire().then(() => (waiterHasIt = true));
    limit.release();
    expect(limit.tryAcquire()).toBe(false);
    await waiter;
    expect(waiterHasIt).toBe(true);
  });

  it('frees the slot of a task that failed', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limit.tryAcquire()).toBe(true);
  });

  it('idle() waits for every held slot', async () => {
    const limit = new ConcurrencyLimit(3);
    await limit.idle();
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(true);
    let idle = false;
    const waiting = limit.idle().then(() => (idle = true));
    limit.release();
    await turn();
    expect(idle).toBe(false);
    limit.release();
    await waiting;
    expect(idle).toBe(true);
  });

  it('refuses a limit below one and a release without a slot', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1).release()).toThrow(/without a held slot/);
  });
});
