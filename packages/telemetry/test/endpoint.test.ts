import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { silentLogger } from '@kiln/log';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { startTestNatsServer, waitUntil, type TestNatsServer } from '@kiln/testkit';
import {
  instrumentInserts,
  natsReadiness,
  recordNotifications,
  startTelemetry,
  streamsReadiness,
  type MetricsSection,
  type SampleInserter,
  type Telemetry,
} from '../src/index.js';
import { startOtlpSink } from './otlp-sink.js';
import { promtool } from './promtool.js';

const log = silentLogger();
const section = (overrides: Partial<MetricsSection> = {}): MetricsSection => ({
  listen: '127.0.0.1:0',
  otlp_interval_ms: 60_000,
  trace_sample_ratio: 0.1,
  ...overrides,
});

/** Runs `body` with telemetry started, and always shuts it down (one per process at a time). */
async function withTelemetry(metrics: MetricsSection, body: (t: Telemetry) => Promise<void>): Promise<void> {
  const t = await startTelemetry({ service: 'kiln-test', metrics, log });
  try {
    await body(t);
  } finally {
    await t.shutdown();
  }
}

async function get(url: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

describe('the endpoint on metrics.listen', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNatsServer();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('answers /healthz from the start; /readyz is 503 until the service hands over its checks, then follows them', async () => {
    await withTelemetry(section(), async (t) => {
      const base = t.url!;
      expect(await get(`${base}/healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
      const starting = await get(`${base}/readyz`);
      expect(starting.status).toBe(503);
      expect(JSON.parse(starting.text)).toEqual({
        status: 'not ready',
        checks: [{ name: 'startup', ok: false, error: 'starting' }],
      });

      const jsm = await jetstreamManager(nc);
      t.readiness.use([natsReadiness(nc), streamsReadiness(jsm, [GPU_STREAM])]);
      const noStream = await get(`${base}/readyz`);
      expect(noStream.status).toBe(503);
      const failed = JSON.parse(noStream.text) as { checks: { name: string; ok: boolean; error?: string }[] };
      expect(failed.checks.find((c) => c.name === 'nats')).toEqual({ name: 'nats', ok: true });
      expect(failed.checks.find((c) => c.name === 'streams')?.error).toMatch(/stream KILN_GPU: .*not found/i);

      await ensureStreams(jsm, { replicas: 1 });
      const ready = await get(`${base}/readyz`);
      expect(ready.status, ready.text).toBe(200);
      expect(JSON.parse(ready.text)).toEqual({
        status: 'ready',
        checks: [
          { name: 'nats', ok: true },
          { name: 'streams', ok: true },
        ],
      });

      // NATS goes away: not ready (the checks time out rather than hang the probe), though still healthy.
      await nats.stop();
      const gone = await get(`${base}/readyz`);
      expect(gone.status).toBe(503);
      expect(JSON.parse(gone.text).checks.map((c: { ok: boolean }) => c.ok)).toEqual([false, false]);
      expect((await get(`${base}/healthz`)).status).toBe(200);
    });
  });

  it('serves Prometheus text that promtool accepts, and only GET on the three paths', async () => {
    await withTelemetry(section(), async (t) => {
      const metrics = await get(`${t.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(metrics.text).toMatch(/^kiln_process_cpu_seconds_total \d/m);
      expect(metrics.text).toMatch(/^target_info\{service_name="kiln-test",/m);
      const lint = await promtool(['check', 'metrics'], metrics.text);
      expect(lint.code, lint.output).toBe(0);
      expect((await get(`${t.url}/metrics/`)).status).toBe(404);
      expect((await fetch(`${t.url}/metrics`, { method: 'POST' })).status).toBe(405);
    });
  });

  it('a metrics.listen already taken: the service runs on without its endpoint', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      await withTelemetry(section({ listen: `127.0.0.1:${port}` }), async (t) => {
        expect(t.url).toBeUndefined();
        t.meter.createCounter('kiln_test_total').add(1);
      });
    } finally {
      taken.close();
    }
  });
});

describe('OTLP export', () => {
  const insertOk: SampleInserter = { insertSamples: async () => undefined };
  const insertFails: SampleInserter = {
    insertSamples: async () => {
      throw new Error('Too many parts');
    },
  };
  const delivered = {
    receiver: 'oncall',
    receiverType: 'pagerduty',
    groupKey: '{}:{alertname="X"}',
    status: 'firing',
    reason: 'new_alerts',
    result: 'delivered',
    attempts: 2,
    httpStatus: 202,
    elapsedMs: 1500,
    alerts: [{}],
  };

  it('pushes metrics and every sampled span (insert batches, failed ones marked, and notifications) to the OTLP endpoint', async () => {
    const sink = await startOtlpSink();
    try {
      await withTelemetry(section({ otlp_endpoint: sink.url, trace_sample_ratio: 1 }), async (t) => {
        await instrumentInserts(insertOk, t, log).insertSamples({ length: 20_000 }, 'samples:kiln-aggregator:1-100');
        await expect(
          instrumentInserts(insertFails, t, log).insertSamples({ length: 500 }, 'samples:kiln-aggregator:101-102'),
        ).rejects.toThrow('Too many parts');
        recordNotifications(t, [{ name: 'oncall', type: 'pagerduty' }])(delivered);
        await t.flush();
      });
      const metrics = Buffer.concat(sink.bodies('/v1/metrics')).toString('latin1');
      for (const name of [
        'kiln_insert_duration_seconds',
        'kiln_insert_batch_samples',
        'kiln_insert_failures_total',
        'kiln_notifications_total',
        'kiln_process_cpu_seconds_total',
      ]) {
        expect(metrics).toContain(name);
      }
      expect(metrics).toContain('kiln-test');
      const traces = Buffer.concat(sink.bodies('/v1/traces')).toString('latin1');
      expect(traces).toContain('kiln.insert_samples');
      expect(traces).toContain('samples:kiln-aggregator:1-100');
      expect(traces).toContain('samples:kiln-aggregator:101-102');
      expect(traces).toContain('Too many parts');
      expect(traces).toContain('kiln.notify');
      expect(traces).toContain('{}:{alertname="X"}');
    } finally {
      await sink.close();
    }
  });

  it('samples traces: at ratio 0 no span leaves, metrics still do', async () => {
    const sink = await startOtlpSink();
    try {
      await withTelemetry(section({ otlp_endpoint: sink.url, trace_sample_ratio: 0 }), async (t) => {
        for (let i = 0; i < 20; i++)
          await instrumentInserts(insertOk, t, log).insertSamples({ length: 100 }, `samples:c:${i}-${i}`);
        recordNotifications(t, [])(delivered);
        await t.flush();
      });
      await waitUntil('a metrics export', () => sink.bodies('/v1/metrics').length > 0, 5_000);
      expect(Buffer.concat(sink.bodies('/v1/metrics')).toString('latin1')).toContain('kiln_insert_duration_seconds');
      expect(sink.bodies('/v1/traces')).toEqual([]);
    } finally {
      await sink.close();
    }
  });
});
