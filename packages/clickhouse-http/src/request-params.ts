import { ClickHouseHttpError, ErrorCode } from './clickhouse-exception.js';

/**
 * URL parameters of ClickHouse's HTTP protocol that are not query settings: they steer the request (or a server
 * feature Kiln does not have, such as HTTP sessions and progress headers) and are never passed to the engine.
 */
const PROTOCOL_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'wait_end_of_query',
  'http_wait_end_of_query',
  'buffer_size',
  'http_response_buffer_size',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'client_protocol_version',
  'role',
  'stacktrace',
  'add_http_cors_header',
  'cancel_http_readonly_queries_on_client_close',
]);

const PARAM_PREFIX = 'param_';
/** User-defined settings, as ClickHouse allows them (the name is also an engine command-line option, so: plain). */
const CUSTOM_SETTING = /^custom_[A-Za-z0-9_]+$/;

export interface QueryParams {
  database: string | undefined;
  /** The output format when the statement names none (ClickHouse's default: TabSeparated). */
  defaultFormat: string;
  /** Query settings, by name, as given. */
  settings: Map<string, string>;
  /** Values for `{name:Type}` placeholders; null for `\N`. */
  params: Record<string, string | null>;
  /** The native protocol revision a clickhouse-go style client decodes Native blocks at (0 = plain HTTP). */
  clientProtocolVersion: number;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };

/**
 * A query parameter value as ClickHouse's HTTP interface receives it is in the Escaped text format (a string param
 * `it\'s` means `it's`). The embedded engine's binder escapes string values itself, so they are unescaped here first.
 * (An Array or Tuple literal with escaped quotes inside its elements cannot take this round trip.)
 */
export function unescapeParam(value: string): string | null {
  if (value === '\\N') return null;
  return value.replace(/\\(x[0-9A-Fa-f]{2}|.)/gs, (_, c: string) =>
    c.length === 3 ? String.fromCharCode(parseInt(c.slice(1), 16)) : (ESCAPES[c] ?? c),
  );
}

/** Splits the URL parameters into protocol fields, settings and query parameters. `knownSettings` are the engine's. */
export function queryParams(search: URLSearchParams, knownSettings: ReadonlySet<string>): QueryParams {
  for (const flag of ['compress', 'decompress']) {
    if (search.get(flag) === '1') {
      throw new ClickHouseHttpError(
        ErrorCode.NOT_IMPLEMENTED,
        `${flag}=1 (ClickHouse's block compression) is not supported; use enable_http_compression=1 with Accept-Encoding, or Content-Encoding`,
      );
    }
  }
  const settings = new Map<string, string>();
  const params: Record<string, string | null> = {};
  for (const [name, value] of search) {
    if (name.startsWith(PARAM_PREFIX)) {
      params[name.slice(PARAM_PREFIX.length)] = unescapeParam(value);
    } else if (!PROTOCOL_PARAMS.has(name)) {
      if (!knownSettings.has(name) && !CUSTOM_SETTING.test(name)) {
        throw new ClickHouseHttpError(
          ErrorCode.UNKNOWN_SETTING,
          `Setting ${name} is neither a builtin setting nor started with the prefix 'custom_' registered for user-defined settings`,
        );
      }
      if (value.includes('\0'))
        throw new ClickHouseHttpError(ErrorCode.BAD_ARGUMENTS, `Setting ${name} holds a NUL byte`);
      settings.set(name, value);
    }
  }
  const revision = Number(search.get('client_protocol_version') ?? '0');
  return {
    database: search.get('database') ?? undefined,
    defaultFormat: search.get('default_format') || 'TabSeparated',
    settings,
    params,
    clientProtocolVersion: Number.isSafeInteger(revision) && revision > 0 ? revision : 0,
  };
}
