import { randomUUID } from 'node:crypto';
import { parseListen } from '@kiln/http';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { Store } from '@kiln/store';
import { ClickHouseHttpError, ErrorCode, httpStatusFor, toClickHouseHttpError } from './clickhouse-exception.js';
import { requestCredentials, roleOf, type Credentials, type Role } from './credentials.js';
import { HttpEngineSessions, type EngineFacts, type ReadLimits, type Statement } from './engine-sessions.js';
import { compress, decodeBody, responseEncoding, zlibLevel } from './http-compression.js';
import { nativeAtRevision } from './native-revision.js';
import { contentTypeOf } from './output-format.js';
import { queryParams } from './request-params.js';
import { assertReadOnlyQuery } from './read-only-gate.js';
import { formatClause, nativeInsertHead, statementKeyword, tokenizeSql } from './sql-lexer.js';

export interface ClickHouseHttpOptions {
  /** `host:port` to listen on; port 0 picks a free one. Loopback by default: '127.0.0.1:8123'. */
  listen?: string;
  /** Credentials that may write. Without them, everyone only reads. */
  writer?: Credentials | undefined;
  /**
   * What an anonymous read may use at most, whatever its request asks (defaults: DEFAULT_READ_LIMITS). Reads run one
   * at a time beside the writes: a read without bounds would hold back every read behind it.
   */
  readLimits?: Partial<ReadLimits>;
  /** Largest request body accepted, after decompression (default 256 MiB). */
  maxBodyBytes?: number;
  /** Distinct reader setting sets kept open (default 8). */
  maxReaderSessions?: number;
}

/** Read limits for a store that shares the machine with its ingest: a minute, 4 GiB, a million rows, half the cores. */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxExecutionTimeS: 60,
  maxMemoryUsage: 4 * 2 ** 30,
  maxResultRows: 1_000_000,
  maxThreads: Math.max(1, Math.floor(availableParallelism() / 2)),
};

export interface ClickHouseHttpServer {
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: Uint8Array;
  headers: Record<string, string>;
}

/**
 * Serves the embedded engine on ClickHouse's HTTP interface, well enough for `@clickhouse/client`, curl and Grafana's
 * ClickHouse data source (clickhouse-go over HTTP, Native format): `GET|POST /?query=…`, `/ping`, settings and
 * `param_*` as URL parameters, `database`, `default_format`, `query_id`, credentials by Basic auth,
 * X-ClickHouse-User/Key or URL, gzip/deflate/br bodies and responses, ClickHouse's exception texts and codes.
 *
 * Anyone without the writer's credentials gets one read statement per request, on a readonly=1 session; a GET is a
 * read whoever sends it (as on a ClickHouse server).
 */
export async function serveClickHouseHttp(
  store: Store,
  options: ClickHouseHttpOptions = {},
): Promise<ClickHouseHttpServer> {
  const engine = store.engine;
  if (engine === undefined)
    throw new Error('serveClickHouseHttp serves the embedded engine; this store talks to a server');
  if (options.writer !== undefined && options.writer.password === '') {
    throw new Error('the writer needs a password: without one, every client could write');
  }
  const { host, port } = parseListen(options.listen ?? '127.0.0.1:8123');
  const sessions = new HttpEngineSessions(engine, {
    limits: { ...DEFAULT_READ_LIMITS, ...options.readLimits },
    maxReaderSessions: options.maxReaderSessions ?? 8,
  });
  const facts = await sessions.facts();
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 2 ** 20;
  const context: RequestContext = { sessions, facts, writer: options.writer, maxBodyBytes };

  const server = createServer((request, response) => {
    void respond(context, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sessions.close();
    },
  };
}

interface RequestContext {
  sessions: HttpEngineSessions;
  facts: EngineFacts;
  writer: Credentials | undefined;
  maxBodyBytes: number;
}

async function respond(context: RequestContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const queryId = url.searchParams.get('query_id') || randomUUID();
  const encoding = responseEncoding(request.headers, url.searchParams);
  let reply: Reply;
  try {
    reply = await answer(context, request, url, clientGone(response));
  } catch (error) {
    const exception = toClickHouseHttpError(error);
    reply = {
      status: httpStatusFor(exception.code),
      body: Buffer.from(`${exception.text}\n`),
      headers: {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(exception.code),
      },
    };
  }
  try {
    let body = reply.body;
    const headers: Record<string, string> = {
      ...reply.headers,
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Server-Display-Name': 'kiln',
      'X-ClickHouse-Timezone': context.facts.timezone,
    };
    if (encoding !== undefined && body.length > 0) {
      body = await compress(body, encoding, zlibLevel(url.searchParams));
      headers['Content-Encoding'] = encoding;
    }
    headers['Content-Length'] = String(body.length);
    response.writeHead(reply.status, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    response.destroy();
  }
}

const OK: Reply = { status: 200, body: Buffer.from('Ok.\n'), headers: { 'Content-Type': 'text/plain; charset=UTF-8' } };
/** What a server answers an INSERT with. */
const OK_EMPTY: Reply = {
  status: 200,
  body: new Uint8Array(0),
  headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
};

async function answer(context: RequestContext, request: IncomingMessage, url: URL, gone: AbortSignal): Promise<Reply> {
  const method = request.method ?? 'GET';
  const hasQuery = url.searchParams.has('query');
  if (url.pathname === '/ping' || (url.pathname === '/' && (method === 'GET' || method === 'HEAD') && !hasQuery)) {
    request.resume();
    return OK;
  }
  if (url.pathname !== '/') {
    request.resume();
    return { status: 404, body: Buffer.from(`There is no handle ${url.pathname}\n\nUse / or /ping\n`), headers: {} };
  }
  if (method !== 'GET' && method !== 'POST') {
    request.resume();
    throw new ClickHouseHttpError(ErrorCode.BAD_ARGUMENTS, `HTTP method ${method} is not supported: use GET or POST`);
  }
  const credentialsRole = roleOf(requestCredentials(request, url), context.writer);
  const role: Role = method === 'POST' ? credentialsRole : 'reader';
  if ((request.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
    request.resume();
    throw new ClickHouseHttpError(
      ErrorCode.NOT_IMPLEMENTED,
      'multipart/form-data requests (external tables) are not supported',
    );
  }
  const queryParam = url.searchParams.get('query') ?? '';
  const params = queryParams(url.searchParams, context.facts.settings);
  const nativeHead = role === 'writer' ? nativeInsertHead(queryParam) : undefined;
  if (nativeHead !== undefined) {
    const data = await readBody(request, context.maxBodyBytes);
    const statement = {
      sql: nativeHead,
      database: params.database,
      format: params.defaultFormat,
      settings: params.settings,
      params: params.params,
    };
    await context.sessions.insertNative(statement, data);
    return OK_EMPTY;
  }
  const body = method === 'POST' ? (await readBody(request, context.maxBodyBytes)).toString('utf8') : '';
  // As on a server: the query is the `query` parameter followed by the body (the data, for an INSERT).
  const sql = queryParam !== '' && body !== '' ? `${queryParam}\n${body}` : queryParam + body;
  if (sql.trim() === '') throw new ClickHouseHttpError(ErrorCode.SYNTAX_ERROR, 'Empty query');
  if (role === 'reader') assertReadOnlyQuery(sql);
  const format = outputFormat(queryParam !== '' ? queryParam : sql, params.defaultFormat);
  const statement: Statement = {
    sql,
    database: params.database,
    format,
    settings: params.settings,
    params: params.params,
  };
  const result =
    role === 'reader' ? await context.sessions.read(statement, gone) : await context.sessions.write(statement);
  const bytes = result.bytes();
  const summary = {
    read_rows: String(result.rowsRead),
    read_bytes: String(result.bytesRead),
    written_rows: '0',
    written_bytes: '0',
    total_rows_to_read: String(result.rowsRead),
    result_rows: String(result.rowsRead),
    result_bytes: String(bytes.length),
    elapsed_ns: String(Math.round(result.elapsed * 1e9)),
  };
  return {
    status: 200,
    body: format === 'Native' ? nativeAtRevision(bytes, params.clientProtocolVersion) : bytes,
    headers: {
      'Content-Type': contentTypeOf(format),
      'X-ClickHouse-Format': format,
      'X-ClickHouse-Summary': JSON.stringify(summary),
    },
  };
}

/**
 * The format of the statement's result: its FORMAT clause, else the request's default. An INSERT's FORMAT names its
 * input, so it does not count. Only the statement text is looked at (not an INSERT's data), and text the lexer
 * cannot read leaves the decision to the default (the engine judges the statement itself).
 */
function outputFormat(statementText: string, defaultFormat: string): string {
  try {
    if (statementKeyword(tokenizeSql(statementText, 8)) === 'INSERT') return defaultFormat;
    return formatClause(tokenizeSql(statementText)) ?? defaultFormat;
  } catch {
    return defaultFormat;
  }
}

/** Aborts when the client closes its connection before the answer is sent. */
function clientGone(response: ServerResponse): AbortSignal {
  const gone = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) gone.abort();
  });
  return gone.signal;
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw new ClickHouseHttpError(ErrorCode.BAD_ARGUMENTS, `request body larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  return decodeBody(raw, request.headers['content-encoding'], limit);
}
