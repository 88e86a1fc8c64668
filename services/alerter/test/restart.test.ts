import { jetstreamManager } from '@nats-io/jetstream';
import { ALERT_STREAM } from '@kiln/nats';
import { waitUntil } from '@kiln/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firing, pagerDutyKey, ProcessRig, resolved } from './process-rig.js';

let rig: ProcessRig;

beforeAll(async () => {
  // A long group_interval: a resolution waits for a tick that a crash would lose if timers lived in memory only.
  rig = await ProcessRig.start({ group_wait: '300ms', group_interval: '1m' });
});
afterAll(async () => {
  await rig?.dispose();
});

describe('alerter state in JetStream KV across SIGKILL', () => {
  it('pages each incident once and still delivers resolutions: one published while it was down, one that was due when it died', async () => {
    const first = await rig.startAlerter('alerter');
    const t = Date.now();
    const a = firing('GpuHot{r1,0}', t);
    const b = firing('GpuHot{r2,5}', t);
    await rig.publish(a);
    await rig.publish(b);
    await waitUntil('both triggers', () => rig.events().length === 2, 10_000, 20);

    // B resolves while the alerter runs; its resolution is stored but waits for the group's next tick, a minute out.
    await rig.publish(resolved(b));
    await waitUntil(
      'the resolution of B to be stored',
      async () => {
        const firingNow = (await (await fetch(`${first.url}/api/v2/alerts`)).json()) as unknown[];
        return firingNow.length === 1;
      },
      10_000,
      20,
    );
    await first.process.kill();

    // A resolves while the alerter is dead. The restarted one listens on another port, so it waits out the dead one's
    // lease (alerter.lease_ms) before it leads.
    await rig.publish(resolved(a));
    const second = await rig.startAlerter('alerter, restarted');
    await waitUntil('both resolutions', () => rig.events().length === 4, 15_000, 20).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(rig.events())}\n${second.process.tail()}`);
    });
    await new Promise((r) => setTimeout(r, 1_500)); // room for a duplicate, if there were one

    expect(
      rig
        .events()
        .map((e) => e.what)
        .sort(),
    ).toEqual(
      [
        `trigger ${pagerDutyKey(a)}`,
        `resolve ${pagerDutyKey(a)}`,
        `trigger ${pagerDutyKey(b)}`,
        `resolve ${pagerDutyKey(b)}`,
      ].sort(),
    );
    const info = await (await jetstreamManager(rig.nc)).consumers.info(ALERT_STREAM, 'kiln-alerter');
    expect(info.num_ack_pending).toBe(0);
    expect(await (await fetch(`${second.url}/api/v2/alerts`)).json()).toEqual([]);
  });
});
