/** Go's zero time as Alertmanager writes it: the endsAt of a firing alert in a webhook payload. */
export const ZERO_TIME_RFC3339 = '0001-01-01T00:00:00Z';

/**
 * Unix milliseconds as RFC 3339 in UTC the way Go's time.Time marshals to JSON (RFC3339Nano: trailing zeros of the
 * fraction dropped, no fraction for whole seconds), so payloads read exactly like Alertmanager's.
 */
export function formatRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-26T12:00:00.120Z
  const dot = iso.length - 5;
  let end = iso.length - 1;
  while (end > dot && iso.charCodeAt(end - 1) === 0x30) end--;
  return (end === dot + 1 ? iso.slice(0, dot) : iso.slice(0, end)) + 'Z';
}
