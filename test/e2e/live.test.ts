import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startHttpReceiver,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type TestNatsServer,
} from '@kiln/testkit';
import { freePort, spawnKiln, type KilnProcess } from '../support/kiln-process.js';

/**
 * Live: `kiln up` with the simulator in real time; a GPU overheats now. The page must leave Kiln within seconds of
 * the first sample that met the rule (the rule's `for` set to 0 so that only Kiln's own latency is measured).
 */
describe('live: a GPU that overheats now', () => {
  let nats: TestNatsServer;
  let dir: { path: string; remove(): Promise<void> };
  let webhook: HttpReceiver;
  let up: KilnProcess;
  let chUrl: string;

  beforeAll(async () => {
    nats = await startTestNatsServer();
    dir = await tempDir('kiln-live-');
    webhook = await startHttpReceiver();
    const chPort = await freePort();
    chUrl = `http://127.0.0.1:${chPort}`;
    const configFile = join(dir.path, 'kiln.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        data_dir: join(dir.path, 'state'),
        nats: { url: nats.url },
        clickhouse: { listen: `127.0.0.1:${chPort}`, user: 'writer', password: 'writer-secret' },
        alerter: { listen: `127.0.0.1:${await freePort()}` },
        metrics: { listen: `127.0.0.1:${await freePort()}` },
        detect: { thermal: { for_ms: 0 } },
        simulate: {
          enabled: true,
          cluster: 'live-ai1',
          racks: 1,
          mode: 'realtime',
          faults: ['overheat=6:r0001-t05/1@1s'],
        },
        notify: [{ type: 'webhook', url: `${webhook.url}/hook` }],
      }),
    );
    up = spawnKiln('up', ['up', '--config', configFile]);
  });

  afterAll(async () => {
    await up?.stop();
    await webhook?.close();
    await nats?.dispose();
    await dir?.remove();
  });

  it('is paged within seconds', async () => {
    type Hook = { status: string; alerts: { labels: Record<string, string> }[] };
    const isPage = (body: string): boolean => {
      const h = JSON.parse(body) as Hook;
      return h.status === 'firing' && h.alerts.some((a) => a.labels.alertname === 'GpuTemperatureNearSlowdown');
    };
    await webhook
      .waitFor((r) => r.some((x) => isPage(x.body)), 180_000)
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n${up.output()}`);
      });
    const pagedAt = webhook.requests.find((r) => isPage(r.body))!.at;
    // The first sample at or above the rule's threshold (slowdown_temp_c − 5 °C), in event time = wall time here.
    const firstHot = await waitUntil(
      'the hot sample to be queryable',
      async () => {
        const res = await fetch(
          `${chUrl}/?query=${encodeURIComponent(
            "SELECT toUnixTimestamp64Milli(min(ts)) FROM kiln.gpu_samples WHERE host = 'r0001-t05' AND gpu = 1 AND temp_c >= slowdown_temp_c - 5",
          )}`,
        );
        const ms = Number((await res.text()).trim());
        return ms > 0 ? ms : undefined;
      },
      30_000,
    );
    const latencyMs = pagedAt - firstHot;
    process.stdout.write(
      `live page latency: ${latencyMs} ms from the first sample over the threshold to the webhook\n`,
    );
    expect(latencyMs).toBeGreaterThan(0);
    expect(latencyMs).toBeLessThan(5_000);
    expect(up.alive()).toBe(true);
  });
});
