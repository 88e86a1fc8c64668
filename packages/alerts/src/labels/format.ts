import type { Labels } from '../alert.js';

/** Prometheus' label set notation, names sorted: {alertname="GpuHot", rack="r0042"}. */
export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

/** The name/value pairs every record shares (a group's commonLabels, commonAnnotations). */
export function commonEntries(records: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = records;
  const common: Record<string, string> = {};
  if (first === undefined) return common;
  for (const [name, value] of Object.entries(first)) {
    if (rest.every((r) => r[name] === value)) common[name] = value;
  }
  return common;
}
