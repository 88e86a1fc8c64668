import type { Alert, Labels } from '../alert.js';

export interface AlertGroup {
  readonly groupKey: string;
  readonly groupLabels: Labels;
  readonly alerts: readonly Alert[];
}

/**
 * The group an alert forms on its own, as Alertmanager does under `group_by: ['...']`: the group labels are all of
 * its labels and the key is Alertmanager's `<route>:<labels>` with the root route `{}`. A grouping stage (routes,
 * group_by, group_wait/group_interval) replaces this by building larger groups; the rest of the pipeline already
 * works on groups.
 */
export function singleAlertGroup(alert: Alert): AlertGroup {
  return { groupKey: `{}:${formatLabels(alert.labels)}`, groupLabels: alert.labels, alerts: [alert] };
}

/** Prometheus' label set notation, names sorted: {alertname="GpuHot", rack="r0042"}. */
export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}
