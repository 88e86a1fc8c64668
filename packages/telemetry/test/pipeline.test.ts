import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Fleet, parseFaults, publishFleet } from '@kiln/simulator';
import { startHttpReceiver, tempDir, waitUntil, type HttpReceiver } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';
import {
  freePort,
  KILN_AGENT_BIN,
  KILN_BIN,
  PIPELINE_DASHBOARD,
  sampleValue,
  SELF_ALERT_RULES,
  startProcess,
  type RunningProcess,
} from './processes.js';
import { promtool } from './promtool.js';

/**
 * Kiln's own telemetry on a real pipeline: `kiln up` (its nats-server, the embedded engine, aggregator, alerter) fed a
 * replayed rack with bad messages mixed in and a live `kiln agent`; a real Prometheus scraping `kiln up` with
 * deploy/kiln-self-alerts.yaml and sending its alerts to Kiln's own alerter; an OTLP receiver for pushed metrics
 * and traces. The pager receiver answers 500, so Kiln's GPU alert fails to page and Kiln reports that about itself.
 */
describe("Kiln's own telemetry on a running pipeline", () => {
  const CLUSTER = 'tel-ai1';
  const TICKS = 180;
  let dir: { path: string; remove(): Promise<void> };
  let pager: HttpReceiver;
  let platform: HttpReceiver;
  let otlp: OtlpSink;
  let up: RunningProcess;
  const others: RunningProcess[] = [];
  let metricsUrl: string;
  let clickhouseUrl: string;
  let natsUrl: string;
  let promUrl: string;
  /** What the agent served, for the dashboard's agent panels (Prometheus scrapes only kiln up). */
  let agentMetrics = '';
  let nc: NatsConnection;
  let js: JetStreamClient;
  let published = 0;

  const scrape = async (url = metricsUrl): Promise<string> => (await fetch(`${url}/metrics`)).text();
  const logsOf = (p: RunningProcess): Record<string, unknown>[] =>
    p.lines().flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const diagnostics = (): string => [up, ...others].map((p) => p?.tail()).join('\n');

  beforeAll(async () => {
    dir = await tempDir('kiln-telemetry-e2e-');
    pager = await startHttpReceiver((_req, _n, res) => res.writeHead(500).end('pager down'));
    platform = await startHttpReceiver();
    otlp = await startOtlpSink();
    const [natsPort, chPort, alerterPort, metricsPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    natsUrl = `nats://127.0.0.1:${natsPort}`;
    clickhouseUrl = `http://127.0.0.1:${chPort}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const configFile = join(dir.path, 'kiln.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        data_dir: join(dir.path, 'state'),
        nats: { port: natsPort },
        clickhouse: { listen: `127.0.0.1:${chPort}` },
        alerter: { listen: `127.0.0.1:${alerterPort}`, retry_for_ms: 1_000 },
        aggregator: { flush_ms: 100 },
        metrics: {
          listen: `127.0.0.1:${metricsPort}`,
          otlp_endpoint: otlp.url,
          otlp_interval_ms: 1_000,
          trace_sample_ratio: 1,
        },
        notify: [
          { type: 'webhook', name: 'pager', url: `${pager.url}/hook` },
          { type: 'webhook', name: 'platform', url: `${platform.url}/hook` },
        ],
        route: { receiver: 'pager', routes: [{ matchers: ['component="kiln"'], receiver: 'platform' }] },
      }),
    );
    // Debug level: the per-insert lines that carry trace ids.
    up = startProcess('kiln up', process.execPath, [KILN_BIN, 'up', '--config', configFile], {
      KILN_LOG_LEVEL: 'debug',
    });
    await waitUntil(
      'kiln up to be ready (/readyz)',
      async () => (await fetch(`${metricsUrl}/readyz`)).status === 200,
      90_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${diagnostics()}`);
    });

    // Prometheus scrapes kiln up every second, evaluates Kiln's rules and sends alerts to Kiln's alerter.
    const promDir = join(dir.path, 'prometheus');
    const promConfig = join(dir.path, 'prometheus.yml');
    await writeFile(
      promConfig,
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [SELF_ALERT_RULES],
        alerting: {
          alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [`127.0.0.1:${alerterPort}`] }] }],
        },
        scrape_configs: [{ job_name: 'kiln', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] }],
      }),
    );
    promUrl = `http://127.0.0.1:${await freePort()}`;
    others.push(
      startProcess('prometheus', 'prometheus', [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${promDir}`,
        `--web.listen-address=${promUrl.slice(7)}`,
      ]),
    );
    // A counter's first increment shows only against an earlier sample: Prometheus must hold the zero before any page.
    await waitUntil(
      'Prometheus to scrape the failed-notification counter at zero',
      async () => {
        const res = await fetch(
          `${promUrl}/api/v1/query?query=${encodeURIComponent('kiln_notifications_total{receiver="pager",outcome="failed"} == 0')}`,
        );
        return ((await res.json()) as { data: { result: unknown[] } }).data.result.length === 1;
      },
      60_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${diagnostics()}`);
    });

    nc = await connect({ servers: natsUrl });
    js = jetstream(nc);
    // Three minutes of one rack, a GPU falling off the bus (Xid 79) 10 s in, and two messages Kiln must reject.
    const fleet = new Fleet({
      cluster: CLUSTER,
      racks: 1,
      seed: 3,
      startMs: Math.floor(Date.now() / 1000) * 1000 - (TICKS + 60) * 1000,
      faults: parseFaults(['xid=79:r0001-t03/1@10s']),
    });
    const replay = await publishFleet(js, fleet, { mode: 'replay', ticks: TICKS });
    published += replay.samples;
    await js.publish(gpuSubject(CLUSTER, 'r0001', 'r0001-t00'), new TextEncoder().encode('{"v":1,'), {
      msgID: 'bad-json',
    });
    await js.publish(
      gpuSubject(CLUSTER, 'r0009', 'r0009-t00'),
      new TextEncoder().encode(
        JSON.stringify({
          v: 1,
          cluster: CLUSTER,
          rack: 'r0001',
          host: 'r0001-t00',
          seq: 1,
          ts: Date.now(),
          gpus: [{ gpu: 0, uuid: 'GPU-0000000000' }],
        }),
      ),
      { msgID: 'bad-subject' },
    );
  }, 180_000);

  afterAll(async () => {
    for (const p of others) await p.stop();
    await up?.stop();
    await nc?.close();
    await pager?.close();
    await platform?.close();
    await otlp?.close();
    await dir?.remove();
  });

  it('a live agent serves its own metrics: lint-clean, publishing, ready while connected', async () => {
    const agentPort = await freePort();
    const agentConfig = join(dir.path, 'agent.yaml');
    await writeFile(
      agentConfig,
      JSON.stringify({
        data_dir: join(dir.path, 'agent'),
        nats: { url: natsUrl },
        metrics: { listen: `127.0.0.1:${agentPort}` },
        agent: { source: 'sim', cluster: CLUSTER, rack: 'r0002', host: 'r0002-t00', interval_ms: 200 },
      }),
    );
    const agent = startProcess('kiln agent', process.execPath, [KILN_AGENT_BIN, '--config', agentConfig], {
      KILN_LOG_LEVEL: 'warn',
    });
    others.push(agent);
    const url = `http://127.0.0.1:${agentPort}`;
    const text = await waitUntil(
      'the agent to publish',
      async () => {
        const t = await scrape(url);
        return (sampleValue(t, 'kiln_agent_published_messages_total') ?? 0) >= 3 ? t : undefined;
      },
      30_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${agent.tail()}`);
    });
    agentMetrics = text;
    expect(sampleValue(text, 'kiln_agent_connected')).toBe(1);
    expect(sampleValue(text, 'kiln_agent_spool_messages')).toBe(0);
    expect(text).toMatch(/^kiln_agent_spool_dropped_messages_total\{reason="full"\} 0$/m);
    expect(text).toMatch(/^target_info\{service_name="kiln-agent",/m);
    const lint = await promtool(['check', 'metrics'], text);
    expect(lint.code, lint.output).toBe(0);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await agent.stop()).toBe(0);
    expect(logsOf(agent).filter((l) => (l['level'] as number) >= 50)).toEqual([]);
  });

  it("counts every stage: the stored-samples counter equals what ClickHouse holds, and /metrics passes promtool's lint", async () => {
    // The agent's messages are in the stream too: everything the stream holds must drain.
    const drained = await waitUntil(
      'the pipeline to drain',
      async () => {
        const text = await scrape();
        const pending = sampleValue(
          text,
          'kiln_consumer_pending_messages{stream="KILN_GPU",consumer="kiln-aggregator"}',
        );
        const acks = sampleValue(
          text,
          'kiln_consumer_ack_pending_messages{stream="KILN_GPU",consumer="kiln-aggregator"}',
        );
        const stored = sampleValue(text, 'kiln_ingest_samples_stored_total') ?? 0;
        return pending === 0 && acks === 0 && stored > published ? text : undefined;
      },
      90_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${diagnostics()}`);
    });
    const stored = sampleValue(drained, 'kiln_ingest_samples_stored_total');
    const rows = Number(
      (
        await (
          await fetch(`${clickhouseUrl}/?query=${encodeURIComponent('SELECT count() FROM kiln.gpu_samples')}`)
        ).text()
      ).trim(),
    );
    expect(stored).toBe(rows);
    expect(sampleValue(drained, 'kiln_ingest_samples_decoded_total')).toBe(rows);
    expect(sampleValue(drained, 'kiln_ingest_messages_rejected_total{reason="invalid_json"}')).toBe(1);
    expect(sampleValue(drained, 'kiln_ingest_messages_rejected_total{reason="subject_mismatch"}')).toBe(1);
    expect(sampleValue(drained, 'kiln_ingest_messages_total')).toBe(
      (sampleValue(drained, 'kiln_ingest_messages_decoded_total') ?? 0) + 2,
    );
    expect(sampleValue(drained, 'kiln_insert_batch_samples_sum')).toBe(rows);
    expect(sampleValue(drained, 'kiln_windows_closed_total')).toBeGreaterThan(0);
    expect(sampleValue(drained, 'kiln_detector_alert_events_total')).toBeGreaterThan(0);
    const lint = await promtool(['check', 'metrics'], drained);
    expect(lint.code, lint.output).toBe(0);
  });

  it("a failing receiver: Kiln's rule fires in a real Prometheus and Kiln's own alerter routes it to another receiver", async () => {
    await platform
      .waitFor((reqs) => reqs.some((r) => r.body.includes('"alertname":"KilnReceiverFailing"')), 90_000)
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n${diagnostics()}`);
      });
    const page = JSON.parse(platform.requests.find((r) => r.body.includes('KilnReceiverFailing'))!.body) as {
      version: string;
      alerts: { labels: Record<string, string> }[];
    };
    expect(page.version).toBe('4');
    expect(page.alerts[0]!.labels).toMatchObject({
      alertname: 'KilnReceiverFailing',
      receiver: 'pager',
      integration: 'webhook',
      component: 'kiln',
      severity: 'critical',
      cluster: 'kiln',
      rack: 'kiln',
    });
    // The GPU alert that could not be paged is on record: counted failed, with the time its retries took.
    const text = await scrape();
    expect(
      sampleValue(text, 'kiln_notifications_total{receiver="pager",integration="webhook",outcome="failed"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(
        text,
        'kiln_notification_duration_seconds_count{receiver="pager",integration="webhook",outcome="failed"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(text, 'kiln_notifications_total{receiver="platform",integration="webhook",outcome="delivered"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'kiln_alerter_events_total')).toBeGreaterThan(0);
    expect(sampleValue(text, 'kiln_alerts{state="active"}')).toBeGreaterThanOrEqual(1);
  });

  it('logs every alert transition, and insert log lines carry the trace ids of the spans pushed over OTLP', async () => {
    const logs = logsOf(up);
    const fired = logs.filter((l) => l['msg'] === 'alert fired');
    expect(fired.map((l) => (l['alert'] as Record<string, string>)['alertname'])).toEqual(
      expect.arrayContaining(['GpuXidError', 'KilnReceiverFailing']),
    );
    expect(
      fired.every(
        (l) => typeof l['fingerprint'] === 'string' && l['component'] === 'kiln-up' && typeof l['pid'] === 'number',
      ),
    ).toBe(true);

    const inserts = logs.filter((l) => l['msg'] === 'samples inserted');
    expect(inserts.length).toBeGreaterThan(0);
    const traceIds = inserts.map((l) => l['trace_id']);
    expect(traceIds.every((id) => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id))).toBe(true);
    await waitUntil(
      'the first insert span to be exported',
      () => Buffer.concat(otlp.bodies('/v1/traces')).includes(Buffer.from(traceIds[0] as string, 'hex')),
      15_000,
      200,
    );
    const traces = Buffer.concat(otlp.bodies('/v1/traces'));
    expect(traces.includes('kiln.insert_samples')).toBe(true);
    expect(traces.includes('kiln.notify')).toBe(true);
    expect(Buffer.concat(otlp.bodies('/v1/metrics')).includes('kiln_ingest_samples_stored_total')).toBe(true);
  });

  it('every query of the Kiln / Pipeline dashboard runs in Prometheus on this pipeline; the ingest panels show it', async () => {
    const dashboard = JSON.parse(await readFile(PIPELINE_DASHBOARD, 'utf8')) as {
      panels: { title: string; type: string; datasource?: { type: string }; targets?: { expr: string }[] }[];
    };
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.every((p) => p.datasource?.type === 'prometheus')).toBe(true);
    // Grafana's variables as it expands them here: every instance, and a rate window of a minute, which holds the
    // run's notifications however long the tests before this one took (four 1 s scrapes, Grafana's own choice at this
    // scrape interval, made the check depend on the machine's speed).
    const expand = (expr: string) =>
      expr.replaceAll('$__rate_interval', '60s').replaceAll('$instance', '.*').replaceAll('$job', '.*');
    const served = new Set([
      ...((await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data,
      ...agentMetrics.split('\n').map((l) => l.split(/[{ ]/)[0]!),
    ]);
    const empty: string[] = [];
    for (const panel of panels) {
      for (const { expr } of panel.targets ?? []) {
        for (const name of expr.match(/\bkiln_\w+/g) ?? []) expect(served, `${panel.title}: ${name}`).toContain(name);
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expand(expr))}`);
        const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
        expect(body.status, `${panel.title}: ${expr}: ${body.error ?? ''}`).toBe('success');
        if (body.data!.result.length === 0) empty.push(panel.title);
      }
    }
    for (const title of [
      'Samples stored',
      'Partition lag',
      'Messages',
      'GPU-samples',
      'Consumer lag',
      'Insert latency',
      'Batch size',
      'Firing alerts',
      'Notifications by receiver and outcome',
      'CPU',
    ]) {
      expect(empty, title).not.toContain(title);
    }
  });
});
