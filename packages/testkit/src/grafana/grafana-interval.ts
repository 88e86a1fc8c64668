/**
 * Grafana's automatic interval (`$__interval`, and the plugin's `$__interval_s`): the time range divided by the
 * panel's data points (its width in pixels, or maxDataPoints), rounded to a "nice" step by Grafana's ladder
 * (`roundInterval` in @grafana/data's rangeutil), and at least the panel's minimum interval.
 */
export function grafanaInterval(rangeMs: number, maxDataPoints: number, minIntervalMs = 1): number {
  return Math.max(roundInterval(rangeMs / maxDataPoints), minIntervalMs);
}

/** [upper bound (exclusive), step], in milliseconds. */
const LADDER: readonly (readonly [number, number])[] = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];
const YEAR_MS = 31_536_000_000;

function roundInterval(intervalMs: number): number {
  for (const [below, step] of LADDER) if (intervalMs < below) return step;
  return YEAR_MS;
}

/** A Grafana interval string (`1s`, `500ms`, `1m`, `2h`, `1d`, `1w`) in milliseconds. */
export function parseGrafanaInterval(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (match === null) throw new Error(`not a Grafana interval: ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: YEAR_MS }[
    match[2] as 'ms'
  ];
  return Number(match[1]) * unit;
}
