import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { parseListen } from '@kiln/http';
import type { Logger } from '@kiln/log';
import type { Readiness } from './readiness.js';

export interface TelemetryEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** The Prometheus text exposition format, version 0.0.4. */
const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** A scrape whose observable callbacks (a consumer-info round trip included) take longer gets what was collected. */
const COLLECT_TIMEOUT_MS = 5_000;

/**
 * Serves /metrics (what `reader` collects, in Prometheus' text format; 503 without a reader), /healthz (the process is up and its event
 * loop turns) and /readyz (200 when every readiness check passes, else 503, with the checks as JSON).
 */
export async function serveTelemetryEndpoint(
  listen: string,
  deps: { reader: MetricReader | undefined; readiness: Readiness; log: Logger },
): Promise<TelemetryEndpoint> {
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const metrics = async (res: ServerResponse): Promise<void> => {
    if (deps.reader === undefined) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics are off: OTEL_SDK_DISABLED is set\n');
      return;
    }
    const { resourceMetrics, errors } = await deps.reader.collect({ timeoutMillis: COLLECT_TIMEOUT_MS });
    if (errors.length > 0) deps.log.debug({ errors: errors.map(String) }, 'some metrics were not collected');
    res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(serializer.serialize(resourceMetrics));
  };
  const readyz = async (res: ServerResponse): Promise<void> => {
    const report = await deps.readiness.evaluate();
    res
      .writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' })
      .end(`${JSON.stringify({ status: report.ready ? 'ready' : 'not ready', checks: report.checks })}\n`);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') await metrics(res);
    else if (path === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    else if (path === '/readyz') await readyz(res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.log.error({ err, url: req.url }, 'metrics endpoint request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Scrapers keep connections alive; a stopping service must not wait for them.
  server.unref();
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
