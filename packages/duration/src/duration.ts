/**
 * Kiln's one duration syntax, wherever a person writes one (configuration, fault specs, `kiln simulate --duration`,
 * the web UI's silence form): one or more `<number><unit>` terms, largest unit first, each unit at most once, as
 * Prometheus and Alertmanager write them; units y (365 d), w, d, h, m, s, ms; a term may have a decimal fraction
 * (1.5h); `0` alone is zero. E.g. 500ms, 30s, 5m, 1h30m, 2d, 1.5s. The result must be a whole number of ms.
 */
export const DURATION_PATTERN =
  /^(?:0|(?:\d+(?:\.\d+)?y)?(?:\d+(?:\.\d+)?w)?(?:\d+(?:\.\d+)?d)?(?:\d+(?:\.\d+)?h)?(?:\d+(?:\.\d+)?m)?(?:\d+(?:\.\d+)?s)?(?:\d+(?:\.\d+)?ms)?)$/;

/**
 * Milliseconds of a duration in Kiln's syntax; undefined if `text` is not one. It refers to nothing outside its body
 * but DURATION_PATTERN, because the web UI is served the source of both.
 */
export function parseDuration(text: string): number | undefined {
  const unitMs: Readonly<Record<string, number>> = {
    y: 31_536_000_000,
    w: 604_800_000,
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1_000,
    ms: 1,
  };
  if (text === '' || !DURATION_PATTERN.test(text)) return undefined;
  let ms = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|[ywdhms])/g))
    ms += Number(value) * (unitMs[unit as string] as number);
  // Fractions are exact in decimal, not always in binary: 1.1s is 1100 ms, not 1100.0000000000002.
  const rounded = Math.round(ms * 1e6) / 1e6;
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}

const FORMAT_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** Milliseconds in the largest units that divide them, as parseDuration reads them: 5400000 → 1h30m; 0 → 0s. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of FORMAT_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text || '0s';
}
