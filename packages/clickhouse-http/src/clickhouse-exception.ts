/** The ClickHouse error codes the HTTP interface raises itself. */
export const ErrorCode = {
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_SETTING: 115,
  READONLY: 164,
  UNKNOWN_FORMAT: 73,
  QUERY_WAS_CANCELLED: 394,
  AUTHENTICATION_FAILED: 516,
  STD_EXCEPTION: 1001,
} as const;

const NAMES: Record<number, string> = {
  36: 'BAD_ARGUMENTS',
  48: 'NOT_IMPLEMENTED',
  62: 'SYNTAX_ERROR',
  73: 'UNKNOWN_FORMAT',
  115: 'UNKNOWN_SETTING',
  164: 'READONLY',
  394: 'QUERY_WAS_CANCELLED',
  516: 'AUTHENTICATION_FAILED',
  1001: 'STD_EXCEPTION',
};

/** An error to answer the way ClickHouse does: `Code: N. DB::Exception: message. (NAME)`. */
export class ClickHouseHttpError extends Error {
  readonly text: string;

  constructor(
    readonly code: number,
    message: string,
    /** The full exception text when it comes from the engine already formatted. */
    text?: string,
  ) {
    super(message);
    this.text = text ?? `Code: ${code}. DB::Exception: ${message}. (${NAMES[code] ?? 'UNKNOWN_EXCEPTION'})`;
  }
}

/** An error thrown by the engine (its messages are already ClickHouse exception texts) or by anything else. */
export function toClickHouseHttpError(error: unknown): ClickHouseHttpError {
  if (error instanceof ClickHouseHttpError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = /^Code: (\d+)\./.exec(message);
  if (code !== null) return new ClickHouseHttpError(Number(code[1]), message, message);
  return new ClickHouseHttpError(ErrorCode.STD_EXCEPTION, message);
}

const BAD_REQUEST = new Set([6, 8, 15, 25, 26, 27, 36, 38, 41, 44, 53, 62, 72, 117, 167, 168, 321, 376, 457]);
const NOT_FOUND = new Set([46, 47, 50, 56, 60, 63, 73, 81, 115, 336]);
const FORBIDDEN = new Set([164, 192, 193, 497, 516]);

/** The HTTP status ClickHouse's HTTP handler answers an exception code with. */
export function httpStatusFor(code: number): number {
  if (FORBIDDEN.has(code)) return 403;
  if (code === 194) return 401; // REQUIRED_PASSWORD
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  if (code === 48) return 501;
  if (code === 159) return 408; // TIMEOUT_EXCEEDED
  if (code === 209) return 503; // SOCKET_TIMEOUT
  return 500;
}
