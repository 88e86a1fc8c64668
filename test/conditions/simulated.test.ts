import { afterAll, describe, expect, it } from 'vitest';
import { startTestNatsServer } from '@kiln/testkit';
import {
  caseWorkspace,
  evaluate,
  explain,
  KilnUp,
  pagesOf,
  receivers,
  sleep,
  table,
  type CaseResult,
  type Incident,
} from './harness.js';

/**
 * Operating conditions a live fleet produces, on `kiln up` with its simulator running in real time: a healthy rack, a
 * tray losing power, a host whose clock runs four minutes ahead, a coolant failure in one of three racks (with the
 * shipped deploy/kiln.yaml and with an empty configuration), an idle rack without a compute domain, and NVLink links
 * going down across a rack. Each case pages a real webhook and PagerDuty endpoint.
 */
/** By case, in the order the cases are written (they run concurrently). */
const results: CaseResult[] = [];
afterAll(() => {
  process.stdout.write(`\n${table(results.filter((r) => r !== undefined))}\n`);
});

/** One live case: kiln up simulating `racks` with `faults`, run until `until` says so (or `maxMs`). */
async function live(
  order: number,
  name: string,
  opts: { racks: number; faults: string[]; detect?: Record<string, unknown>; shipped?: boolean; cluster: string },
  incidentsOf: (startMs: number) => Incident[],
  until: (up: KilnUp, ws: Awaited<ReturnType<typeof caseWorkspace>>, startMs: number) => Promise<void>,
): Promise<{ result: CaseResult; up: KilnUp; startMs: number; ws: Awaited<ReturnType<typeof caseWorkspace>> }> {
  const nats = await startTestNatsServer();
  const ws = await caseWorkspace(opts.cluster);
  const up = await KilnUp.start(name, ws.dir, {
    natsUrl: nats.url,
    ...(opts.shipped ? { shipped: true } : {}),
    config: {
      simulate: { enabled: true, cluster: opts.cluster, racks: opts.racks, mode: 'realtime', faults: opts.faults },
      ...(opts.detect ? { detect: opts.detect } : {}),
      notify: receivers(ws),
    },
  });
  try {
    const startMs = await up.firstSampleMs(`cluster = '${opts.cluster}'`);
    const incidents = incidentsOf(startMs);
    await until(up, ws, startMs);
    const result = evaluate(name, incidents, pagesOf(ws.webhook.requests), await up.late());
    results[order] = result;
    return { result, up, startMs, ws };
  } finally {
    await up.stop();
    await nats.dispose();
  }
}

describe.concurrent('operating conditions, simulated fleet live', () => {
  it('a healthy rack pages nobody and counts nothing late', async () => {
    const { result, ws } = await live(
      0,
      'healthy rack throughout',
      { racks: 1, faults: [], cluster: 'healthy-ai1' },
      () => [],
      () => sleep(60_000),
    );
    expect(result).toMatchObject({ falsePages: 0, late: 0 });
    expect(ws.pagerduty.requests).toHaveLength(0);
    await ws.close();
  });

  it('a tray losing power pages once, for the host', async () => {
    const { result, ws } = await live(
      1,
      'one tray losing power',
      { racks: 1, faults: ['offline:r0001-t07@20s'], cluster: 'tray-ai1' },
      (start) => [{ name: 'tray r0001-t07 down', onsetMs: start + 20_000, owns: (l) => l.host === 'r0001-t07' }],
      async (_up, ws) => {
        await ws.webhook.waitFor((r) => r.length > 0, 90_000);
        await sleep(20_000);
      },
    );
    expect(result, explain(result, ws)).toMatchObject({ pagesPerIncident: [1], detected: 1, falsePages: 0, late: 0 });
    expect(pagesOf(ws.webhook.requests)[0]!.alerts.map((a) => a.alertname)).toEqual(['HostSilent']);
    await ws.close();
  });

  it('a host whose clock runs four minutes ahead makes nothing late, and a stall elsewhere in its rack is paged', async () => {
    const { result, ws } = await live(
      2,
      "one host's clock +4 min",
      {
        racks: 1,
        faults: ['clock_skew=240:r0001-t05@0s', 'stall:r0001-t11/2@25s'],
        detect: { stall: { for_ms: 20_000 } },
        cluster: 'skew-ai1',
      },
      (start) => [
        { name: 'stall r0001-t11/2', onsetMs: start + 25_000, owns: (l) => l.host === 'r0001-t11' && l.gpu === '2' },
      ],
      async (_up, ws) => {
        await ws.webhook.waitFor((r) => pagesOf(r).length > 0, 120_000);
        await sleep(10_000);
      },
    );
    expect(result, explain(result, ws)).toMatchObject({ pagesPerIncident: [1], detected: 1, falsePages: 0, late: 0 });
    await ws.close();
  });

  it('an idle rack without a compute domain pages nobody, however long its fabric stays unstarted', async () => {
    // The fabric's grace cut to 10 s, so a minute is many graces: an idle rack is never expected in a fabric.
    const { result, ws } = await live(
      5,
      'idle rack, no compute domain',
      { racks: 1, faults: ['idle_rack:r0001@0s'], detect: { fabric: { for_ms: 10_000 } }, cluster: 'idle-ai1' },
      () => [],
      () => sleep(60_000),
    );
    expect(result, explain(result, ws)).toMatchObject({ falsePages: 0, late: 0 });
    expect(ws.webhook.requests).toHaveLength(0);
    await ws.close();
  });

  it('NVLink links going down across a rack page once, for the rack', async () => {
    const trays = Array.from({ length: 18 }, (_, t) => `nvlink_down=2:r0001-t${String(t + 1).padStart(2, '0')}@20s`);
    const { result, ws } = await live(
      6,
      'NVLink down across a rack',
      { racks: 1, faults: trays, cluster: 'nvlink-ai1' },
      (start) => [{ name: 'NVLink r0001', onsetMs: start + 20_000, owns: (l) => l.rack === 'r0001' }],
      async (up, ws) => {
        await ws.webhook.waitFor((r) => pagesOf(r).length > 0, 120_000);
        // Long enough for the GPUs' own NVLink alerts (for 30 s) to fire: they must be muted, not absent.
        const deadline = Date.now() + 90_000;
        const muted = async () =>
          (await up.alerts('?filter=rack="r0001"')).filter(
            (a) => a.labels.alertname === 'GpuNvlinkDegraded' && a.status.inhibitedBy.length > 0,
          ).length;
        while ((await muted()) < 4) {
          if (Date.now() > deadline) throw new Error('no GpuNvlinkDegraded alert muted within 90 s of the rack page');
          await sleep(2_000);
        }
      },
    );
    expect(result, explain(result, ws)).toMatchObject({ pagesPerIncident: [1], detected: 1, falsePages: 0, late: 0 });
    expect(pagesOf(ws.webhook.requests)[0]!.alerts.map((a) => a.alertname)).toEqual(['RackNvlinkDegraded']);
    await ws.close();
  });

  for (const shipped of [true, false]) {
    it(`a coolant failure in one of three racks pages once, for the rack (${shipped ? 'shipped deploy/kiln.yaml' : 'empty configuration'})`, async () => {
      const name = `coolant failure, 1 of 3 racks (${shipped ? 'shipped kiln.yaml' : 'empty config'})`;
      const { result, ws } = await live(
        shipped ? 3 : 4,
        name,
        { racks: 3, faults: ['rack_cooling:r0002@20s'], shipped, cluster: shipped ? 'cool-ai1' : 'cool-ai2' },
        (start) => [{ name: 'coolant r0002', onsetMs: start + 20_000, owns: (l) => l.rack === 'r0002' }],
        async (up, ws) => {
          await ws.webhook.waitFor((r) => pagesOf(r).length > 0, 180_000);
          // Long enough for its GPUs' own thermal alerts to fire: they must be muted, not absent.
          await waitForMutedGpuAlerts(up);
          await sleep(5_000);
        },
      );
      expect(result, explain(result, ws)).toMatchObject({ pagesPerIncident: [1], detected: 1, falsePages: 0, late: 0 });
      const notifications = ws.webhook.requests.map(
        (r) => JSON.parse(r.body) as { status: string; alerts: { labels: Record<string, string> }[] },
      );
      expect(
        notifications.filter((n) => n.status === 'firing').map((n) => n.alerts.map((a) => a.labels.alertname)),
      ).toEqual([['RackCoolingFailure']]);
      expect(ws.pagerduty.requests).toHaveLength(1);
      await ws.close();
    });
  }
});

/** Waits until the alerter holds per-GPU thermal alerts of rack r0002 muted by the rack's cooling alert. */
async function waitForMutedGpuAlerts(up: KilnUp): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const muted = (await up.alerts('?filter=rack="r0002"')).filter(
      (a) => a.labels.gpu !== undefined && a.status.inhibitedBy.length > 0,
    );
    if (muted.length >= 4) return;
    await sleep(2_000);
  }
  throw new Error('no per-GPU thermal alert of r0002 fired within 150 s of the rack alert');
}
