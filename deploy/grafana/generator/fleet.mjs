// Fleet overview: what an on-call engineer opens first. Current state across the fleet (GPUs reporting, power,
// throttling, firing alerts), the hottest racks, utilization by rack, power by cluster.
import { dashboard, stat, table, timeseries, panel } from './panels.mjs';
import { agg, alertStates, CLOCK_EVENTS, filter, tiered } from './sql.mjs';
import { fleetVariables } from './variables.mjs';

const where = [filter.any('cluster'), filter.any('rack')];
/** The minute rollup's last two minutes before the end of the range: "now" when the range ends now. */
const LATEST = ['ts >= $__toTime - INTERVAL 2 MINUTE', 'ts <= $__toTime', ...where].join(' AND ');
const THERMAL = CLOCK_EVENTS.thermal | CLOCK_EVENTS.hwSlowdown;

export const fleet = dashboard({
  uid: 'kiln-fleet',
  title: 'Kiln / Fleet overview',
  description: 'GPU fleet at a glance: hottest racks, utilization by rack, power, firing alerts.',
  variables: fleetVariables,
  panels: [
    stat({
      title: 'GPUs reporting',
      description: 'GPUs with samples in the last 2 minutes of the range.',
      sql: `SELECT uniqExact(cluster, rack, host, gpu) AS gpus\nFROM kiln.gpu_rollup_1m\nWHERE ${LATEST}`,
    }),
    stat({
      title: 'Power',
      description: 'Sum over GPUs of each GPU’s mean power in the last 2 minutes of the range.',
      unit: 'kwatt',
      decimals: 1,
      sql: `SELECT sum(power) / 1000 AS kw FROM (
  SELECT sum(power_w_sum) / sum(power_w_count) AS power
  FROM kiln.gpu_rollup_1m
  WHERE ${LATEST}
  GROUP BY cluster, rack, host, gpu
)`,
    }),
    stat({
      title: 'Hottest GPU',
      unit: 'celsius',
      sql: `SELECT toFloat64(max(temp_c_max)) AS hottest\nFROM kiln.gpu_rollup_1m\nWHERE ${LATEST}`,
      options: { colorMode: 'background' },
    }),
    stat({
      title: 'GPUs thermally throttled',
      description:
        'GPUs whose clocks were held down by temperature (SW/HW thermal, HW slowdown) in the last 2 minutes.',
      sql: `SELECT uniqExactIf((cluster, rack, host, gpu), bitAnd(clock_events_or, ${THERMAL}) != 0) AS throttled\nFROM kiln.gpu_rollup_1m\nWHERE ${LATEST}`,
    }),
    stat({
      title: 'Firing alerts',
      sql: `SELECT countIf(state = 'firing') AS firing FROM (\n  ${alertStates(where)}\n)`,
    }),
    stat({
      title: 'Critical alerts',
      sql: `SELECT countIf(state = 'firing' AND severity = 'critical') AS critical FROM (\n  ${alertStates(where)}\n)`,
    }),
    table({
      title: 'Hottest racks',
      description:
        'Per rack over the range: the hottest GPU, the mean temperature, GPUs within 5 °C of their slowdown threshold, GPUs thermally throttled.',
      w: 12,
      h: 10,
      sql: `SELECT cluster, rack, max(temperature_max) AS max_temp_c, round(avg(temperature), 1) AS mean_temp_c,
  countIf(temperature_max >= slowdown - 5) AS gpus_near_slowdown,
  countIf(bitAnd(clocks, ${THERMAL}) != 0) AS gpus_throttled
FROM (
${tiered({
  bucketed: false,
  keys: ['cluster', 'rack', 'host', 'gpu'],
  values: [
    ['temperature', agg.mean('temp_c')],
    ['temperature_max', agg.max('temp_c')],
    ['slowdown', agg.min('slowdown_temp_c')],
    ['clocks', agg.bits('clock_events')],
  ],
  where,
})}
)
GROUP BY cluster, rack
ORDER BY max_temp_c DESC
LIMIT 20`,
      overrides: [
        {
          matcher: { id: 'byName', options: 'rack' },
          properties: [
            {
              id: 'links',
              value: [
                {
                  title: 'Rack',
                  url: '/d/kiln-rack?var-cluster=${__data.fields.cluster}&var-rack=${__value.raw}&${__url_time_range}',
                },
              ],
            },
          ],
        },
      ],
    }),
    panel({
      type: 'heatmap',
      title: 'Utilization by rack',
      description: 'Mean GPU utilization of each rack per interval.',
      w: 12,
      h: 10,
      unit: 'percent',
      sql: `SELECT time, rack, util FROM (
${tiered({ keys: ['rack'], values: [['util', agg.mean('util_pct')]], where })}
)
ORDER BY time, rack`,
      options: {
        calculate: false,
        yAxis: { axisPlacement: 'left' },
        rowsFrame: { layout: 'auto' },
        color: { mode: 'scheme', scheme: 'RdYlGn', steps: 64, min: 0, max: 100 },
        cellGap: 1,
        tooltip: { mode: 'single', yHistogram: false },
        legend: { show: true },
      },
    }),
    timeseries({
      title: 'Power by cluster',
      description: 'Sum over GPUs of each GPU’s mean power per interval.',
      unit: 'kwatt',
      sql: `SELECT time, cluster, sum(power) / 1000 AS kw FROM (
${tiered({ keys: ['cluster', 'rack', 'host', 'gpu'], values: [['power', agg.mean('power_w')]], where })}
)
GROUP BY time, cluster
ORDER BY time`,
    }),
    timeseries({
      title: 'Hottest GPU per rack',
      unit: 'celsius',
      sql: `SELECT time, rack, temperature_max FROM (
${tiered({ keys: ['rack'], values: [['temperature_max', agg.max('temp_c')]], where })}
)
ORDER BY time`,
    }),
    table({
      title: 'Firing alerts',
      w: 24,
      h: 8,
      sql: `SELECT starts_at AS since, severity, alertname, rack, host, gpu, summary FROM (
  ${alertStates(where)}
)
WHERE state = 'firing'
ORDER BY indexOf(['critical', 'warning', 'info'], severity), since DESC
LIMIT 200`,
    }),
  ],
});
