import { Kvm, type KV } from '@nats-io/kv';
import { fingerprint } from '@kiln/alerts';
import { waitUntil } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firing, pagerDutyKey as key, ProcessRig, resolved, type AlerterProcess } from './process-rig.js';

let rig: ProcessRig;
/** The alerter that took over in the first case, and leads at the start of the second. */
let survivor: AlerterProcess;
let lease: KV;
let alertState: KV;

/** The API URL of the alerter the lease names, or undefined while nobody holds it. */
async function leaderUrl(): Promise<string | undefined> {
  const entry = await lease.get('leader');
  return entry === null || entry.operation !== 'PUT' || entry.length === 0
    ? undefined
    : entry.json<{ url: string }>().url;
}
const events = () => rig.events();
const publish = (event: Parameters<ProcessRig['publish']>[0]) => rig.publish(event);
const startAlerter = (name: string) => rig.startAlerter(name);

beforeAll(async () => {
  // The shipped lease (alerter.lease_ms, 5 s): what a user gets.
  rig = await ProcessRig.start({ group_wait: '1s', group_interval: '2s' });
  const kvm = new Kvm(rig.js);
  lease = await kvm.create('kiln_alerter_leader', { history: 1, ttl: 5_000 });
  alertState = await kvm.create('kiln_alerter_alerts', { history: 1 });
}, 30_000);
afterAll(async () => {
  await rig?.dispose();
});

describe('two alerters against one NATS', () => {
  it('one leads and the other forwards to it; SIGKILL of the leader mid-incident: the other takes over, nothing lost or sent twice', async () => {
    const a = await startAlerter('alerter-a');
    const b = await startAlerter('alerter-b');
    survivor = b;
    expect(await leaderUrl()).toBe(a.url);

    const t = Date.now();
    const x1 = firing('GpuHot{r1,0}', t);
    await publish(x1);
    await waitUntil('the first trigger', () => events().length === 1, 10_000, 20);

    // The standby answers the API by forwarding to the leader, writes included.
    const viaB = (await (await fetch(`${b.url}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
    expect(viaB.map((x) => x.labels['rack'])).toEqual(['r1']);
    const silence = await fetch(`${b.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'rack', value: 'r9', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'oncall',
        comment: 'r9 in maintenance',
      }),
    });
    expect(silence.status).toBe(200);

    // Mid-incident: the leader dies; a second alert fires and the first resolves while nobody leads.
    await a.process.kill();
    const killedAt = Date.now();
    const x2 = firing('GpuHot{r2,5}', t + 1_000);
    await publish(x2);
    await publish(resolved(x1));
    await publish(firing('GpuHot{r9,1}', t + 1_000)); // silenced through the standby: never paged
    const tookOver = await waitUntil(
      'b to take the lease',
      async () => ((await leaderUrl()) === b.url ? Date.now() : undefined),
      15_000,
      20,
    );
    await waitUntil('the resolve of x1 and the trigger of x2', () => events().length === 3, 15_000, 20).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify(events())}\n${b.process.tail()}`);
      },
    );
    const firstAfter = Math.min(
      ...events()
        .slice(1)
        .map((e) => e.at),
    );
    console.log(
      `alerter failover: lease taken ${((tookOver - killedAt) / 1000).toFixed(1)} s after SIGKILL, first page ${((firstAfter - killedAt) / 1000).toFixed(1)} s after`,
    );
    expect(tookOver - killedAt).toBeLessThan(10_000);

    // The silence posted through the standby holds on the new leader, whose API the old standby now answers itself.
    const listed = (await (await fetch(`${b.url}/api/v2/alerts?filter=rack="r9"`)).json()) as {
      status: { state: string };
    }[];
    expect(listed).toMatchObject([{ status: { state: 'suppressed' } }]);
    await new Promise((r) => setTimeout(r, 2_500)); // room for a duplicate, if there were one
    expect(
      events()
        .map((e) => e.what)
        .sort(),
    ).toEqual([`resolve ${key(x1)}`, `trigger ${key(x1)}`, `trigger ${key(x2)}`].sort());
  }, 60_000);

  it('fences a paused leader: it wakes after another took over and sends nothing, its due notification sent once by the new leader', async () => {
    const before = events().length;
    const b = survivor.process;
    const c = await startAlerter('alerter-c'); // stands by
    const x3 = firing('GpuHot{r3,2}', Date.now());
    await publish(x3);
    // Pause the leader once it has stored the alert, before its group_wait (1 s) is up: its notification is due.
    await waitUntil('b to store x3', async () => (await alertState.get(fingerprint(x3.labels))) !== null, 5_000, 5);
    b.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    try {
      await waitUntil('c to take the lease', async () => (await leaderUrl()) === c.url, 15_000, 20);
      await waitUntil('c to page x3', () => events().length === before + 1, 10_000, 20);
      console.log(
        `alerter failover from a paused leader: x3 paged ${((events().at(-1)!.at - pausedAt) / 1000).toFixed(1)} s after the pause`,
      );
    } finally {
      b.child.kill('SIGCONT');
    }
    // Awake, b's timer fires; the fence stops it from paging beside c, and it stands by.
    await waitUntil(
      'b to step down',
      () => b.lines().some((l) => l.includes('alerter lost the lease')),
      10_000,
      20,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${b.tail()}`);
    });
    await publish(resolved(x3));
    await waitUntil('c to resolve x3', () => events().length === before + 2, 10_000, 20);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(
      events()
        .slice(before)
        .map((e) => e.what),
    ).toEqual([`trigger ${key(x3)}`, `resolve ${key(x3)}`]);
    expect(await leaderUrl()).toBe(c.url);
  }, 60_000);
});
