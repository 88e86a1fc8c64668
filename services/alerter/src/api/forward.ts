import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/** Set on a forwarded request: a standby never forwards one again, so stale views of the leader cannot loop. */
const FORWARDED_HEADER = 'x-kiln-forwarded-by';
/** A leader that has not answered in this long is taken for gone; the client may retry (the next leader answers). */
const FORWARD_TIMEOUT_MS = 10_000;
/** Hop-by-hop headers (RFC 9110 §7.6.1) do not travel through a proxy. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

/**
 * Sends a request received by a standby alerter to the leader at `leaderUrl` and streams the answer back: the API and
 * the web UI work through any alerter of a group. The leader applies authentication and every bound. A leader that
 * does not answer is a 502 (it has just died: the next one takes over within a lease), a loop a 503.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, leaderUrl: string, self: string): void {
  if (req.headers[FORWARDED_HEADER] !== undefined) {
    req.resume();
    answer(
      res,
      503,
      `no leading alerter: ${String(req.headers[FORWARDED_HEADER])} forwarded this request to ${self}, which does not lead either`,
    );
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name)) headers[name] = value;
  }
  headers[FORWARDED_HEADER] = self;
  const target = new URL(req.url ?? '/', leaderUrl);
  const upstream = request(target, { method: req.method, headers, timeout: FORWARD_TIMEOUT_MS }, (answerFromLeader) => {
    const back: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answerFromLeader.headers)) {
      if (value !== undefined && !HOP_BY_HOP.includes(name)) back[name] = value;
    }
    res.writeHead(answerFromLeader.statusCode ?? 502, back);
    answerFromLeader.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error(`no answer in ${FORWARD_TIMEOUT_MS} ms`)));
  upstream.on('error', (err) => {
    req.resume();
    answer(
      res,
      502,
      `the leading alerter at ${leaderUrl} did not answer (${err.message}); retry: another alerter takes over within a lease`,
    );
  });
  req.pipe(upstream);
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(message));
}
