import type { DeliveryResult, SendOptions } from './receiver.js';

const USER_AGENT = 'kiln-alerter';
/** Enough of an error response to say what went wrong, not so much that a large page floods logs and history. */
const ERROR_BODY_CHARS = 512;
const ABORTED: DeliveryResult = { ok: false, retryable: false, error: 'request aborted: notifier closed' };

/**
 * POSTs `body` as JSON and classifies the answer: 2xx delivered; 408, 429, 5xx, network errors and timeouts
 * retryable (with the Retry-After the endpoint sent); any other status final. Never throws.
 */
export async function postJson(
  url: string,
  body: unknown,
  options: SendOptions,
  headers: Readonly<Record<string, string>> = {},
): Promise<DeliveryResult> {
  if (options.signal.aborted) return ABORTED;
  // One controller per request, tied to the notifier's signal by a listener removed afterwards. AbortSignal.any
  // would do the same in a line, but Node 20 keeps every signal combined with a long-lived one alive (nodejs#55351).
  const request = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    request.abort();
  }, options.timeoutMs);
  const cancel = () => request.abort();
  options.signal.addEventListener('abort', cancel, { once: true });
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
        body: JSON.stringify(body),
        signal: request.signal,
      });
    } catch (err) {
      if (options.signal.aborted) return ABORTED;
      if (timedOut) return { ok: false, retryable: true, error: `no response within ${options.timeoutMs} ms` };
      return { ok: false, retryable: true, error: networkErrorMessage(err) };
    }
    return await classify(response);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', cancel);
  }
}

async function classify(response: Response): Promise<DeliveryResult> {
  // Read the body in every case: it frees the connection for reuse and says why a request failed. A 2xx stays
  // delivered even if its body never arrives.
  const text = await response.text().catch(() => '');
  const httpStatus = response.status;
  if (response.ok) return { ok: true, httpStatus };

  const retryable = httpStatus === 408 || httpStatus === 429 || httpStatus >= 500;
  const detail = text.trim().slice(0, ERROR_BODY_CHARS);
  const error = `HTTP ${httpStatus}${detail ? `: ${detail}` : ''}`;
  const retryAfterMs = retryable ? parseRetryAfter(response.headers.get('retry-after'), Date.now()) : undefined;
  return retryAfterMs === undefined
    ? { ok: false, retryable, httpStatus, error }
    : { ok: false, retryable, httpStatus, error, retryAfterMs };
}

/**
 * A Retry-After header in ms from `nowMs`: either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when
 * absent or unreadable; a date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined; // e.g. "1.5" or "-1": neither form
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** fetch() reports every network failure as "fetch failed"; the cause says which (ECONNREFUSED, ECONNRESET, …). */
function networkErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${err.message}: ${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ''}`;
  }
  return err.message;
}
