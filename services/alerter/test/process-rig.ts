import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { fingerprint, type AlertEvent } from '@kiln/alerts';
import { alertSubject, ensureStreams } from '@kiln/nats';
import {
  startHttpReceiver,
  startProcess,
  startTestNatsServer,
  tempDir,
  waitUntil,
  type HttpReceiver,
  type RunningProcess,
  type TestNatsServer,
} from '@kiln/testkit';
import { alertLabels } from './scenario.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'alerter-process.mjs');

/** An alerter running as a process of its own (test/fixtures/alerter-process.mjs), so that a test can SIGKILL it. */
export interface AlerterProcess {
  readonly process: RunningProcess;
  /** Its API. */
  readonly url: string;
}

/**
 * What the suites that run alerters as processes share: a nats-server with Kiln's streams, a PagerDuty endpoint that
 * accepts every event, and one configuration file for every alerter they start (the given route, paging PagerDuty).
 */
export class ProcessRig {
  private readonly processes: RunningProcess[] = [];

  private constructor(
    readonly nats: TestNatsServer,
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly pagerduty: HttpReceiver,
    private readonly dir: { path: string; remove(): Promise<void> },
    private readonly configFile: string,
  ) {}

  static async start(route: Record<string, unknown>): Promise<ProcessRig> {
    const nats = await startTestNatsServer();
    const nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { replicas: 1 });
    const dir = await tempDir('kiln-alerter-process-');
    const pagerduty = await startHttpReceiver((_req, _n, res) =>
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}'),
    );
    const configFile = join(dir.path, 'kiln.json');
    await writeFile(
      configFile,
      JSON.stringify({
        nats: { url: nats.url },
        alerter: { listen: '127.0.0.1:0' },
        notify: [{ type: 'pagerduty', name: 'gpu-oncall', routing_key: 'R0UT1NGKEY', url: pagerduty.url }],
        route: { receiver: 'gpu-oncall', group_by: ['alertname', 'rack'], ...route },
      }),
    );
    return new ProcessRig(nats, nc, jetstream(nc), pagerduty, dir, configFile);
  }

  /** Starts an alerter process; resolves once it has started (leading or standing by). */
  async startAlerter(name: string): Promise<AlerterProcess> {
    const proc = startProcess(name, process.execPath, [FIXTURE, this.configFile]);
    this.processes.push(proc);
    const line = await waitUntil(
      `${name} to start`,
      () => proc.lines().find((l) => l.startsWith('ready ')),
      20_000,
      20,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${proc.tail()}`);
    });
    return { process: proc, url: line.slice('ready '.length) };
  }

  /** Publishes an event the way the aggregator does, with its de-duplication id. */
  async publish(event: AlertEvent): Promise<void> {
    const id = `${event.labels['alertname']}:${fingerprint(event.labels)}:${event.status}:${event.startsAt}`;
    await this.js.publish(alertSubject('eus2-ai1', event.labels['rack'] as string), JSON.stringify(event), {
      msgID: id,
    });
  }

  /** PagerDuty events received, as `<action> <dedup key>`, with their arrival time. */
  events(): { at: number; what: string }[] {
    return this.pagerduty.requests.map((r) => {
      const event = JSON.parse(r.body) as { event_action: string; dedup_key: string };
      return { at: r.at, what: `${event.event_action} ${event.dedup_key}` };
    });
  }

  async dispose(): Promise<void> {
    for (const p of this.processes) if (p.alive()) await p.kill();
    await this.nc.close();
    await this.nats.dispose();
    await this.pagerduty.close();
    await this.dir.remove();
  }
}

export const firing = (notation: string, startsAt: number): AlertEvent => ({
  labels: alertLabels(notation),
  annotations: { summary: `${notation} is hot`, description: 'temp_c=92 slowdown_temp_c=87' },
  status: 'firing',
  startsAt,
});
export const resolved = (event: AlertEvent): AlertEvent => ({
  ...event,
  status: 'resolved',
  endsAt: event.startsAt + 30_000,
});
/** The PagerDuty dedup key of an alert. */
export const pagerDutyKey = (event: AlertEvent): string => `kiln-${fingerprint(event.labels)}`;
