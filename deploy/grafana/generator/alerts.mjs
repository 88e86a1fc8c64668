// Alerts: the timeline of what fired and resolved, the alerts and GPUs that fire most, and what became of the
// notifications (kiln.alerts holds lifecycle events and notification outcomes).
import { dashboard, panel, table, timeseries } from './panels.mjs';
import { ALERT_LABEL, alertRows, alertStates, filter } from './sql.mjs';
import { fleetVariables } from './variables.mjs';

const where = [filter.any('cluster'), filter.any('rack')];
const IN_RANGE = ['$__timeFilter(ts)', ...where];

export const alerts = dashboard({
  uid: 'kiln-alerts',
  title: 'Kiln / Alerts',
  description: 'Alert timeline, top offenders, notification outcomes.',
  variables: fleetVariables,
  time: { from: 'now-24h', to: 'now' },
  panels: [
    panel({
      type: 'state-timeline',
      title: 'Alert timeline',
      description: 'Each alert firing (red) or resolved (green), from its state at the start of the range.',
      w: 24,
      h: 10,
      sql: `SELECT time, alert, firing FROM (
  SELECT toDateTime64($__fromTime, 3, 'UTC') AS time, ${ALERT_LABEL}, 1 AS firing
  FROM (${alertStates(where, '$__fromTime')})
  WHERE state = 'firing'
  UNION ALL
  SELECT ts AS time, ${ALERT_LABEL}, if(event = 'firing', 1, 0) AS firing
  FROM kiln.alerts
  WHERE event IN ('firing', 'resolved') AND ${IN_RANGE.join(' AND ')}
)
ORDER BY time`,
      displayName: '${__field.labels.alert}',
      custom: { fillOpacity: 80, lineWidth: 0, spanNulls: true },
      options: { mergeValues: true, showValue: 'never', rowHeight: 0.8, legend: { showLegend: false } },
    }),
    timeseries({
      title: 'Alerts started, by severity',
      sql: `SELECT $__timeInterval(ts) AS time, severity, count() AS started
FROM kiln.alerts
WHERE event = 'firing' AND ${IN_RANGE.join(' AND ')}
GROUP BY time, severity
ORDER BY time`,
      custom: { drawStyle: 'bars', fillOpacity: 70, stacking: { mode: 'normal' } },
    }),
    timeseries({
      title: 'Notifications, by receiver and outcome',
      sql: `SELECT $__timeInterval(ts) AS time, concat(receiver, ' ', outcome) AS delivery, count() AS notifications
FROM kiln.alerts
WHERE event IN ('notified', 'notify_failed') AND ${IN_RANGE.join(' AND ')}
GROUP BY time, delivery
ORDER BY time`,
      custom: { drawStyle: 'bars', fillOpacity: 70, stacking: { mode: 'normal' } },
    }),
    table({
      title: 'Top offenders',
      description: 'GPUs, hosts and racks by alerts fired in the range.',
      w: 8,
      h: 10,
      sql: `SELECT rack, host, gpu, uniqExact(fingerprint, starts_at) AS alerts, arrayStringConcat(groupUniqArray(alertname), ', ') AS alertnames
FROM ${alertRows(["event = 'firing'", ...IN_RANGE])}
GROUP BY rack, host, gpu
ORDER BY alerts DESC
LIMIT 15`,
    }),
    table({
      title: 'Most frequent alerts',
      w: 8,
      h: 10,
      sql: `SELECT alertname, severity, category, count() AS fired, uniqExact(rack, host, gpu) AS targets
FROM ${alertRows(["event = 'firing'", ...IN_RANGE])}
GROUP BY alertname, severity, category
ORDER BY fired DESC
LIMIT 15`,
    }),
    table({
      title: 'Notification outcomes',
      description: 'Per receiver: delivered and failed notifications, with delivery attempts.',
      w: 8,
      h: 10,
      sql: `SELECT receiver, outcome, count() AS notifications, round(avg(attempts), 2) AS mean_attempts, max(attempts) AS max_attempts, max(ts) AS last
FROM ${alertRows(["event IN ('notified', 'notify_failed')", ...IN_RANGE])}
GROUP BY receiver, outcome
ORDER BY receiver, outcome`,
    }),
    table({
      title: 'Alert episodes',
      description: 'Each time an alert fired in the range: when, for how long, how often it was notified.',
      w: 24,
      h: 10,
      sql: `SELECT starts_at AS started, max(ends_at) AS ended,
  dateDiff('second', starts_at, coalesce(max(ends_at), toDateTime64($__toTime, 3, 'UTC'))) AS duration_s,
  any(severity) AS severity, any(alertname) AS alertname, any(category) AS category, any(rack) AS rack, any(host) AS host, any(gpu) AS gpu,
  countIf(event = 'notified') AS notifications, countIf(event = 'notify_failed') AS failed_notifications,
  any(annotations['summary']) AS summary
FROM ${alertRows(IN_RANGE)}
GROUP BY fingerprint, starts_at
ORDER BY started DESC
LIMIT 500`,
      overrides: [{ matcher: { id: 'byName', options: 'duration_s' }, properties: [{ id: 'unit', value: 's' }] }],
    }),
    table({
      title: 'Failed notifications',
      w: 24,
      sql: `SELECT ts AS time, receiver, alertname, severity, rack, host, gpu, attempts, detail
FROM kiln.alerts
WHERE event = 'notify_failed' AND ${IN_RANGE.join(' AND ')}
ORDER BY time DESC
LIMIT 200`,
    }),
  ],
});
