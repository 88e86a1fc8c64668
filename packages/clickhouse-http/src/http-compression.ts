import type { IncomingHttpHeaders } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ClickHouseHttpError, ErrorCode } from './clickhouse-exception.js';

export type ResponseEncoding = 'gzip' | 'deflate' | 'br';

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotli = promisify(zlib.brotliCompress);
const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const unbrotli = promisify(zlib.brotliDecompress);

/**
 * How to compress the response: as ClickHouse does, only when the request sets enable_http_compression=1 and
 * accepts an encoding Kiln has (gzip, deflate, br).
 */
export function responseEncoding(headers: IncomingHttpHeaders, search: URLSearchParams): ResponseEncoding | undefined {
  if (search.get('enable_http_compression') !== '1') return undefined;
  const accepted = (headers['accept-encoding'] ?? '').split(',').map((e) => e.split(';')[0]!.trim().toLowerCase());
  return (['gzip', 'deflate', 'br'] as const).find((e) => accepted.includes(e));
}

/** `http_zlib_compression_level` (1..9; ClickHouse's default 3). */
export function zlibLevel(search: URLSearchParams): number {
  const level = Number(search.get('http_zlib_compression_level') ?? 3);
  return Number.isInteger(level) && level >= 1 && level <= 9 ? level : 3;
}

export function compress(body: Uint8Array, encoding: ResponseEncoding, level: number): Promise<Buffer> {
  switch (encoding) {
    case 'gzip':
      return gzip(body, { level });
    case 'deflate':
      return deflate(body, { level });
    case 'br':
      return brotli(body);
  }
}

/** The request body without its Content-Encoding, at most `limit` bytes once decoded. */
export function decodeBody(body: Buffer, contentEncoding: string | undefined, limit: number): Promise<Buffer> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  const options = { maxOutputLength: limit };
  switch (encoding) {
    case '':
    case 'identity':
      return Promise.resolve(body);
    case 'gzip':
    case 'x-gzip':
      return gunzip(body, options);
    case 'deflate':
      return inflate(body, options);
    case 'br':
      return unbrotli(body, options);
    default:
      return Promise.reject(
        new ClickHouseHttpError(
          ErrorCode.NOT_IMPLEMENTED,
          `Content-Encoding ${encoding} is not supported (gzip, deflate, br are)`,
        ),
      );
  }
}
