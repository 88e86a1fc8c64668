import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatRfc3339, ZERO_TIME_RFC3339 } from '@kiln/alerts';
import { parseListen } from '@kiln/config';
import type { ActiveAlerts } from './active-alerts.js';

export interface AlerterApi {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The alerter's HTTP API on alerter.listen, shaped like Alertmanager's API v2 so its tools can read it:
 * GET /api/v2/alerts, GET /api/v2/status, GET /-/healthy, GET /-/ready.
 */
export async function serveAlerterApi(listen: string, active: ActiveAlerts, receivers: readonly string[]): Promise<AlerterApi> {
  const started = new Date().toISOString();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { code: 405, message: `${req.method} is not supported here` });
    switch (path) {
      case '/-/healthy':
      case '/-/ready':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('OK\n');
        return;
      case '/api/v2/alerts':
        return json(
          200,
          active.list().map((a) => ({
            labels: a.labels,
            annotations: a.annotations,
            startsAt: formatRfc3339(a.startsAt),
            endsAt: a.endsAt === undefined ? ZERO_TIME_RFC3339 : formatRfc3339(a.endsAt),
            updatedAt: new Date(a.updatedAt).toISOString(),
            fingerprint: a.fingerprint,
            generatorURL: a.generatorURL ?? '',
            receivers: receivers.map((name) => ({ name })),
            status: { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] },
          })),
        );
      case '/api/v2/status':
        return json(200, { uptime: started, versionInfo: { version: 'kiln' }, cluster: { status: 'disabled', peers: [] }, config: { original: '' } });
      default:
        return json(404, { code: 404, message: `no route ${path}` });
    }
  });
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
