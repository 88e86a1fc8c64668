/** What happened to an alert at one moment of its life. */
export type AlertHistoryKind =
  | 'firing'
  | 'resolved'
  | 'notified'
  | 'notify_failed'
  | 'silenced'
  | 'inhibited'
  | (string & {});

/** One entry of the alert history that Grafana shows as a timeline. */
export interface AlertHistoryRow {
  /** When it happened (event time for firing/resolved, wall time for notifications), Unix milliseconds. */
  at: number;
  event: AlertHistoryKind;
  /** The alert's labels; alertname, severity, category, cluster, rack, host, gpu, uuid also get columns of their own. */
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** Stable identity of the alert (a hash of its labels). */
  fingerprint: string;
  startsAt: number;
  /** When it resolved; absent while firing. */
  endsAt?: number | null;
  /** The receiver a notification went to ('' for lifecycle events). */
  receiver?: string;
  /** The result of a notification ('ok', 'http_500', 'timeout'…). */
  outcome?: string;
  detail?: string;
  /** Delivery attempts made. */
  attempts?: number;
}

export const ALERT_HISTORY_COLUMNS = [
  'ts',
  'event',
  'alertname',
  'severity',
  'category',
  'cluster',
  'rack',
  'host',
  'gpu',
  'uuid',
  'fingerprint',
  'labels',
  'annotations',
  'starts_at',
  'ends_at',
  'receiver',
  'outcome',
  'detail',
  'attempts',
] as const;

/** The gpu label ('0'..'7') as a number; null when the alert is not about one GPU or the label is not an index. */
function gpuIndex(label: string | undefined): number | null {
  if (label === undefined || !/^\d{1,3}$/.test(label)) return null;
  const gpu = Number(label);
  return gpu <= 255 ? gpu : null;
}

export function alertHistoryValues(row: AlertHistoryRow): unknown[] {
  const l = row.labels;
  return [
    row.at,
    row.event,
    l.alertname ?? '',
    l.severity ?? '',
    l.category ?? '',
    l.cluster ?? '',
    l.rack ?? '',
    l.host ?? '',
    gpuIndex(l.gpu),
    l.uuid ?? '',
    row.fingerprint,
    row.labels,
    row.annotations,
    row.startsAt,
    row.endsAt ?? null,
    row.receiver ?? '',
    row.outcome ?? '',
    row.detail ?? '',
    row.attempts ?? 0,
  ];
}
