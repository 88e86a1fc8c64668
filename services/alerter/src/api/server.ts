import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasBasicCredentials, httpUrl, parseListen } from '@kiln/http';

/** A request as handlers see it: the path parameters of their route, the query, and the body parsed as JSON. */
export interface ApiRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  json(): Promise<unknown>;
}

/** A JSON answer; `text` answers plain text (the health endpoints), or what `headers` says it is (the web UI's assets). */
export type ApiResponse = {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
};

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path with `{name}` parameters, e.g. /api/v2/silence/{silenceID}. */
  readonly path: string;
  /** Changes state: needs basic auth when it is configured. */
  readonly writes: boolean;
  readonly handle: (req: ApiRequest) => Promise<ApiResponse> | ApiResponse;
}

export interface AlerterApi {
  readonly url: string;
  close(): Promise<void>;
}

/** A request body the handler cannot use; answered 400 with the message, as Alertmanager answers a bad request. */
export class BadRequestError extends Error {}

export interface ApiServerOptions {
  readonly auth?: { user: string; password: string; protect_reads?: boolean } | undefined;
  /**
   * Asked first for every request but the health and reload endpoints (`/-/…`): true when it has taken the request
   * over (a standby alerter forwards it to the leader).
   */
  readonly forward?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

/** Request bodies above this are refused (a silence or a batch of alerts is a few KiB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Request targets (path and query) above this are refused: no filter a person writes comes near it. */
const MAX_URL_BYTES = 16 * 1024;

/**
 * Serves the routes on `listen`. With `auth` set, routes that write need HTTP basic auth with exactly those
 * credentials (compared in constant time); reads stay open, as Alertmanager's are, unless `protect_reads` (the health
 * endpoints stay open for probes). What a request may ask is bounded (URL and body size here, filters where they are
 * read), and every matcher runs in linear time (LabelRegex), so no request holds the event loop that ingestion and
 * paging share with it.
 */
export async function serveApi(
  listen: string,
  routes: readonly ApiRoute[],
  options: ApiServerOptions = {},
): Promise<AlerterApi> {
  const { auth, forward } = options;
  const compiled = routes.map((r) => ({
    ...r,
    pattern: new RegExp(`^${r.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
  }));
  const server: Server = createServer((req, res) => {
    void answer(req, res).catch((err: unknown) =>
      send(res, { status: 500, body: `internal error: ${err instanceof Error ? err.message : String(err)}` }),
    );
  });
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? '').length > MAX_URL_BYTES) {
      req.resume();
      return send(res, { status: 414, body: `request target over ${MAX_URL_BYTES} bytes` });
    }
    const url = new URL(req.url ?? '/', 'http://alerter');
    if (forward && !url.pathname.startsWith('/-/') && (await forward(req, res))) return;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const onPath = compiled.filter((r) => r.pattern.test(url.pathname));
    const route = onPath.find((r) => r.method === method);
    if (!route) {
      req.resume();
      if (onPath.length > 0)
        return send(
          res,
          { status: 405, body: `method ${req.method} not allowed on ${url.pathname}` },
          { allow: onPath.map((r) => r.method).join(', ') },
        );
      return send(res, { status: 404, body: `no route ${url.pathname}` });
    }
    const guarded = route.writes || (auth?.protect_reads === true && !route.path.startsWith('/-/'));
    if (guarded && auth && !hasBasicCredentials(req.headers.authorization, auth)) {
      req.resume();
      return send(
        res,
        { status: 401, body: 'unauthorized: this request needs the alerter.basic_auth credentials' },
        { 'www-authenticate': 'Basic realm="kiln-alerter"' },
      );
    }
    const params = (route.pattern.exec(url.pathname)?.groups ?? {}) as Record<string, string>;
    const request: ApiRequest = { params: decodeAll(params), query: url.searchParams, json: () => readJson(req) };
    let response: ApiResponse;
    try {
      response = await route.handle(request);
    } catch (err) {
      if (!(err instanceof BadRequestError)) throw err;
      response = { status: 400, body: err.message };
    }
    send(res, response, {}, req.method === 'HEAD');
  };
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: httpUrl(host, address.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(
  res: ServerResponse,
  response: ApiResponse,
  headers: Record<string, string> = {},
  headOnly = false,
): void {
  if (res.headersSent) return;
  const text = response.text ?? (response.body === undefined ? '' : JSON.stringify(response.body));
  const type = response.text === undefined ? 'application/json' : 'text/plain; charset=utf-8';
  res.writeHead(response.status, {
    'content-type': type,
    'cache-control': 'no-store',
    ...response.headers,
    ...headers,
  });
  res.end(headOnly ? undefined : text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequestError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new BadRequestError(`body is not valid JSON: ${(err as Error).message}`);
  }
}

function decodeAll(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, decodeURIComponent(v)]));
}
