import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '@kiln/nats';
import { startTcpProxy, startTestNatsServer, waitUntil } from '@kiln/testkit';
import { spawnKiln, type KilnProcess } from '../support/kiln-process.js';
import {
  caseWorkspace,
  evaluate,
  explain,
  KilnUp,
  pagerDutyEvents,
  pagesOf,
  receivers,
  sleep,
  table,
  type CaseResult,
} from './harness.js';

/**
 * Operating conditions that take parts away: NATS stopped for 30 s under live agents, one agent cut off from NATS
 * for 100 s while its rack stays live, and `kiln up` SIGKILLed with 20 alerts firing.
 */
/** By case, in the order the cases are written (they run concurrently). */
const results: CaseResult[] = [];
afterAll(() => {
  process.stdout.write(`\n${table(results.filter((r) => r !== undefined))}\n`);
});

/** A real `kiln agent` on one simulated host (source: sim), spooling under `dir`. */
async function startAgent(
  dir: string,
  natsUrl: string,
  cluster: string,
  host: string,
  faults: string[] = [],
): Promise<KilnProcess> {
  const configFile = join(dir, `${host}.yaml`);
  await writeFile(
    configFile,
    JSON.stringify({
      data_dir: join(dir, host),
      nats: { url: natsUrl },
      agent: { cluster, rack: host.split('-')[0], host, source: 'sim', interval_ms: 1000 },
      simulate: { seed: 7, faults },
    }),
  );
  return spawnKiln(`agent ${host}`, ['agent', '--config', configFile]);
}

const hosts = (n: number): string[] => Array.from({ length: n }, (_, i) => `r0001-t${String(i + 1).padStart(2, '0')}`);

describe.concurrent('operating conditions, parts taken away', () => {
  it('NATS stopped for 30 s and restarted: agents replay their spools, nothing is paged falsely, detectors see a fault after', async () => {
    const ws = await caseWorkspace('nats');
    const first = await startTestNatsServer();
    let nats: NatsServerHandle = first;
    const up = await KilnUp.start('kiln up', ws.dir, {
      natsUrl: first.url,
      config: { detect: { stall: { for_ms: 20_000 } }, notify: receivers(ws) },
    });
    const agents: KilnProcess[] = [];
    try {
      // Eight trays of one rack; tray 3's GPU 1 stalls 75 s after its agent starts, after NATS is back.
      for (const host of hosts(8))
        agents.push(
          await startAgent(
            ws.dir,
            first.url,
            'outage-ai1',
            host,
            host === 'r0001-t03' ? ['stall:r0001-t03/1@75s'] : [],
          ),
        );
      const t03Start = await up.firstSampleMs("cluster = 'outage-ai1' AND host = 'r0001-t03'");
      await sleep(t03Start + 30_000 - Date.now());
      await first.stop();
      const stoppedAt = Date.now();
      await sleep(30_000);
      nats = await startNatsServer({ dir: first.dir, port: first.port });
      const restartedAt = Date.now();
      const incidents = [
        {
          name: 'stall r0001-t03/1',
          onsetMs: t03Start + 75_000,
          owns: (l: Record<string, string>) => l.host === 'r0001-t03' && l.gpu === '1',
        },
      ];
      await ws.webhook
        .waitFor((r) => pagesOf(r).some((p) => p.alerts.some((a) => incidents[0]!.owns(a))), 150_000)
        .catch(() => undefined);
      await sleep(10_000);
      for (const a of agents) await a.stop();
      await waitUntil(
        'every sample stored',
        async () => (await up.count("SELECT count() FROM kiln.gpu_samples WHERE cluster = 'outage-ai1'")) > 0,
        10_000,
      );
      await sleep(6_000);
      const result = evaluate('NATS stopped 30 s, then back', incidents, pagesOf(ws.webhook.requests), await up.late());
      results[0] = result;
      // Samples taken while NATS was away (and until every agent is back), replayed from the agents' spools: the only
      // ones that may be late.
      const delayed = await up.count(
        `SELECT count() FROM kiln.gpu_samples WHERE cluster = 'outage-ai1' AND ts BETWEEN fromUnixTimestamp64Milli(${stoppedAt - 5_000}) AND fromUnixTimestamp64Milli(${restartedAt + 10_000})`,
      );
      expect(delayed).toBeGreaterThan(8 * 4 * 25);
      result.delayed = delayed;
      expect(result, explain(result, ws)).toMatchObject({ pagesPerIncident: [1], detected: 1, falsePages: 0 });
      expect(result.late).toBeLessThanOrEqual(delayed);
      const stored = await up.count("SELECT count() FROM kiln.gpu_samples WHERE cluster = 'outage-ai1'");
      expect(await up.count("SELECT uniqExact(host, gpu, ts) FROM kiln.gpu_samples WHERE cluster = 'outage-ai1'")).toBe(
        stored,
      );
    } finally {
      for (const a of agents) await a.stop();
      await up.stop();
      await nats.stop();
      await first.dispose();
      await ws.close();
    }
  });

  it('one agent cut off for 100 s while its rack stays live: one page for the host, its replayed fault paged once, every sample stored once', async () => {
    const ws = await caseWorkspace('cut');
    const nats = await startTestNatsServer();
    const proxy = await startTcpProxy(nats.port);
    // The simulated rack leaves tray 9 to the agent, which reaches NATS through a link the test cuts.
    const up = await KilnUp.start('kiln up', ws.dir, {
      natsUrl: nats.url,
      config: {
        simulate: { enabled: true, cluster: 'cut-ai1', racks: 1, mode: 'realtime', faults: ['offline:r0001-t09@0s'] },
        notify: receivers(ws),
      },
    });
    // Xid 79 on GPU 2 from 50 s to 70 s after the agent starts: while it is cut off.
    const agent = await startAgent(ws.dir, proxy.url('nats'), 'cut-ai1', 'r0001-t09', ['xid=79:r0001-t09/2@50s+20s']);
    try {
      const agentStart = await up.firstSampleMs("cluster = 'cut-ai1' AND host = 'r0001-t09'");
      await sleep(agentStart + 25_000 - Date.now());
      proxy.cut();
      const cutAt = Date.now();
      await sleep(100_000);
      proxy.restore();
      const restoredAt = Date.now();
      const incidents = [
        {
          name: 'host r0001-t09 cut off',
          onsetMs: cutAt,
          owns: (l: Record<string, string>) => l.host === 'r0001-t09' && l.gpu === undefined,
        },
        {
          name: 'Xid 79 r0001-t09/2',
          onsetMs: agentStart + 50_000,
          owns: (l: Record<string, string>) => l.host === 'r0001-t09' && l.gpu === '2',
        },
      ];
      await ws.webhook
        .waitFor((r) => incidents.every((i) => pagesOf(r).some((p) => p.alerts.some((a) => i.owns(a)))), 60_000)
        .catch(() => undefined);
      await sleep(15_000);
      await agent.stop();
      await sleep(6_000);
      const result = evaluate(
        'one agent cut off 100 s, replayed from its spool',
        incidents,
        pagesOf(ws.webhook.requests),
        await up.late(),
      );
      results[1] = result;
      const replayed = await up.count(
        `SELECT count() FROM kiln.gpu_samples WHERE cluster = 'cut-ai1' AND host = 'r0001-t09' AND ts BETWEEN fromUnixTimestamp64Milli(${cutAt - 1_000}) AND fromUnixTimestamp64Milli(${restoredAt + 2_000})`,
      );
      expect(replayed).toBeGreaterThanOrEqual(4 * 95);
      result.delayed = replayed;
      expect(result, explain(result, ws)).toMatchObject({ pagesPerIncident: [1, 1], detected: 2, falsePages: 0 });
      expect(result.late).toBeLessThanOrEqual(replayed);
      // Every tick of the agent stored once, none missing.
      const rows = await up.count(
        "SELECT count() FROM kiln.gpu_samples WHERE cluster = 'cut-ai1' AND host = 'r0001-t09'",
      );
      expect(
        await up.count(
          "SELECT uniqExact(gpu, ts) FROM kiln.gpu_samples WHERE cluster = 'cut-ai1' AND host = 'r0001-t09'",
        ),
      ).toBe(rows);
      const span = await up.count(
        "SELECT (toUnixTimestamp64Milli(max(ts)) - toUnixTimestamp64Milli(min(ts))) / 1000 + 1 FROM kiln.gpu_samples WHERE cluster = 'cut-ai1' AND host = 'r0001-t09'",
      );
      expect(rows).toBeGreaterThanOrEqual(4 * (span - 2));
    } finally {
      await agent.stop();
      await up.stop();
      await proxy.close();
      await nats.dispose();
      await ws.close();
    }
  });

  it('kiln up SIGKILLed with 20 alerts firing: no second page after the restart, and every resolution delivered', async () => {
    const ws = await caseWorkspace('crash');
    const nats = await startTestNatsServer();
    const up = await KilnUp.start('kiln up', ws.dir, {
      natsUrl: nats.url,
      config: { detect: { xid: { keep_firing_for_ms: 30_000 } }, notify: receivers(ws) },
    });
    // GPU 0 of ten trays in each of two racks: Xid 79 from 15 s to 30 s, the alerts firing until 60 s (keep_firing_for).
    // The simulator outlives kiln up.
    const faults = ['r0001', 'r0002'].flatMap((rack) =>
      Array.from({ length: 10 }, (_, t) => `--fault=xid=79:${rack}-t${String(t + 1).padStart(2, '0')}/0@15s+15s`),
    );
    const simConfig = join(ws.dir, 'simulate.yaml');
    await writeFile(simConfig, JSON.stringify({ nats: { url: nats.url }, simulate: { cluster: 'crash-ai1' } }));
    const simulate = spawnKiln('simulate', [
      'simulate',
      '--config',
      simConfig,
      '--racks',
      '2',
      '--mode',
      'realtime',
      ...faults,
    ]);
    try {
      const startMs = await up.firstSampleMs("cluster = 'crash-ai1'");
      const incidents = faults.map((f) => {
        const [, host, gpu] = /:(r\d+-t\d+)\/(\d)@/.exec(f)!;
        return {
          name: `Xid ${host}/${gpu}`,
          onsetMs: startMs + 15_000,
          owns: (l: Record<string, string>) => l.host === host && l.gpu === gpu,
        };
      });
      const triggers = () => pagerDutyEvents(ws.pagerduty).filter((e) => e.action === 'trigger');
      await waitUntil('20 PagerDuty triggers', () => triggers().length >= 20, 90_000, 200);
      // Killed while the alerts fire but their Xid has cleared: after the restart no sample shows the condition, and
      // only what the aggregator recorded of its firing alerts can still resolve them.
      await sleep(startMs + 40_000 - Date.now());
      await up.kill();
      const killedAt = Date.now();
      await sleep(3_000);
      await up.run();
      await waitUntil(
        '20 PagerDuty resolves',
        () => pagerDutyEvents(ws.pagerduty).filter((e) => e.action === 'resolve').length >= 20,
        120_000,
        500,
      ).catch(() => undefined);
      await sleep(10_000);
      const result = evaluate(
        'kiln up SIGKILLed with 20 alerts firing',
        incidents,
        pagesOf(ws.webhook.requests),
        await up.late(),
      );
      results[2] = result;
      expect(result, explain(result, ws)).toMatchObject({ detected: 20, falsePages: 0, late: 0 });
      expect(result.pagesPerIncident).toEqual(new Array(20).fill(1));
      const events = pagerDutyEvents(ws.pagerduty);
      expect(events.filter((e) => e.action === 'trigger')).toHaveLength(20);
      expect(new Set(events.filter((e) => e.action === 'trigger').map((e) => e.key)).size).toBe(20);
      expect(events.filter((e) => e.action === 'trigger' && e.at > killedAt)).toEqual([]);
      expect(new Set(events.filter((e) => e.action === 'resolve').map((e) => e.key)).size).toBe(20);
      // The webhook heard no "firing" after the restart: only the resolutions.
      const afterRestart = ws.webhook.requests
        .filter((r) => r.at > killedAt)
        .map((r) => JSON.parse(r.body) as { status: string });
      expect(afterRestart.length).toBeGreaterThan(0);
      expect(afterRestart.every((n) => n.status === 'resolved')).toBe(true);
    } finally {
      await simulate.stop();
      await up.stop();
      await nats.dispose();
      await ws.close();
    }
  });
});
