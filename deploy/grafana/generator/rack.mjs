// One NVL72 rack: its 72 GPUs side by side (temperature, utilization, clocks, power), throttling by reason, and each
// GPU against its peers in the rack (a straggler runs slower than the rack's median clock, an overheating GPU hotter
// than the median temperature).
import { rackGraceBlackwellPanels } from './grace-blackwell.mjs';
import { dashboard, table, timeseries } from './panels.mjs';
import { agg, CLOCK_EVENTS, filter, GPU_LABEL, tiered } from './sql.mjs';
import { rackVariables } from './variables.mjs';

const where = [filter.is('cluster'), filter.is('rack'), filter.any('host')];
const THERMAL = CLOCK_EVENTS.thermal | CLOCK_EVENTS.hwSlowdown;
const GPU_LINK = {
  title: 'GPU detail',
  url: '/d/kiln-gpu?var-cluster=${cluster}&var-rack=${rack}&var-host=${__data.fields.host}&var-gpu=${__data.fields.gpu}&${__url_time_range}',
};

/** One line per GPU of `metric`'s mean. */
function perGpu(title, metric, unit, extra = {}) {
  return timeseries({
    title,
    unit,
    sql: `SELECT time, gpu_id, value FROM (
${tiered({ keys: [GPU_LABEL], values: [['value', agg.mean(metric)]], where })}
)
ORDER BY time`,
    displayName: '${__field.labels.gpu_id}',
    options: { legend: { showLegend: false }, tooltip: { mode: 'multi', sort: 'desc' } },
    ...extra,
  });
}

export const rack = dashboard({
  uid: 'kiln-rack',
  title: 'Kiln / Rack',
  description:
    'The 72 GPUs of one GB300 NVL72 rack: temperature, utilization, clocks, throttling, stragglers against their peers.',
  variables: rackVariables,
  panels: [
    perGpu('GPU temperature', 'temp_c', 'celsius'),
    perGpu('GPU utilization', 'util_pct', 'percent', { min: 0, max: 100 }),
    perGpu('SM clock', 'sm_clock_mhz', 'rotmhz'),
    perGpu('Power', 'power_w', 'watt'),
    timeseries({
      title: 'SM clock across the rack',
      description:
        'Per interval, the slowest GPU’s, the median and the fastest GPU’s mean SM clock: a straggler pulls the minimum away from the median.',
      unit: 'rotmhz',
      sql: `SELECT time, min(clock) AS slowest, median(clock) AS median, max(clock) AS fastest FROM (
${tiered({ keys: ['host', 'gpu'], values: [['clock', agg.mean('sm_clock_mhz')]], where })}
)
GROUP BY time
ORDER BY time`,
    }),
    timeseries({
      title: 'GPUs throttled, by reason',
      description:
        'GPUs whose clocks were held down in the interval: thermal (SW/HW thermal), HW slowdown, power (SW power cap, HW power brake).',
      sql: `SELECT time,
  countIf(bitAnd(clocks, ${CLOCK_EVENTS.thermal}) != 0) AS thermal,
  countIf(bitAnd(clocks, ${CLOCK_EVENTS.hwSlowdown}) != 0) AS hw_slowdown,
  countIf(bitAnd(clocks, ${CLOCK_EVENTS.power}) != 0) AS power
FROM (
${tiered({ keys: ['host', 'gpu'], values: [['clocks', agg.bits('clock_events')]], where })}
)
GROUP BY time
ORDER BY time`,
      custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal' } },
    }),
    table({
      title: 'Stragglers and outliers vs rack peers',
      description:
        'Each GPU over the range against the rack’s median: SM clock (a straggler runs slower), temperature (an overheating GPU runs hotter). Slowest first.',
      w: 24,
      h: 12,
      sql: `SELECT host, gpu,
  round(clock) AS sm_clock_mhz,
  round(100 * (clock / median(clock) OVER () - 1), 1) AS clock_vs_rack_pct,
  round(temperature, 1) AS temp_c,
  round(temperature - median(temperature) OVER (), 1) AS temp_vs_rack_c,
  round(util, 1) AS util_pct,
  round(power) AS power_w,
  bitAnd(clocks, ${THERMAL}) != 0 AS thermally_throttled
FROM (
${tiered({
  bucketed: false,
  keys: ['host', 'gpu'],
  values: [
    ['clock', agg.mean('sm_clock_mhz')],
    ['temperature', agg.mean('temp_c')],
    ['util', agg.mean('util_pct')],
    ['power', agg.mean('power_w')],
    ['clocks', agg.bits('clock_events')],
  ],
  where,
})}
)
ORDER BY clock_vs_rack_pct, temp_vs_rack_c DESC
LIMIT 72`,
      overrides: [{ matcher: { id: 'byName', options: 'host' }, properties: [{ id: 'links', value: [GPU_LINK] }] }],
    }),
    table({
      title: 'Latest sample per GPU',
      description: 'Each GPU’s last sample in the last 2 minutes of the range.',
      w: 24,
      h: 12,
      sql: `SELECT host, gpu, max(ts) AS last_seen, argMax(job, ts) AS job_id,
  toFloat64(argMax(temp_c, ts)) AS temp, toFloat64(argMax(util_pct, ts)) AS util, toFloat64(argMax(power_w, ts)) AS power,
  argMax(sm_clock_mhz, ts) AS sm_clock, hex(argMax(clock_events, ts)) AS clock_event_bits, argMax(xid, ts) AS last_xid
FROM kiln.gpu_samples
WHERE ts >= $__toTime - INTERVAL 2 MINUTE AND ts <= $__toTime AND ${where.join(' AND ')}
GROUP BY host, gpu
ORDER BY host, gpu`,
      overrides: [{ matcher: { id: 'byName', options: 'host' }, properties: [{ id: 'links', value: [GPU_LINK] }] }],
    }),
    table({
      title: 'Xid events',
      description:
        'Every Xid the driver logged in the rack (the kernel log, via the agents): one row per occurrence, newest first. An empty GPU: the agent could not map the PCI address.',
      w: 16,
      sql: `SELECT ts AS time, host, gpu, code, message
FROM kiln.gpu_events
WHERE $__timeFilter(ts) AND ${where.join(' AND ')}
ORDER BY time DESC
LIMIT 500`,
      overrides: [{ matcher: { id: 'byName', options: 'host' }, properties: [{ id: 'links', value: [GPU_LINK] }] }],
    }),
    table({
      title: 'Xid events by code',
      description: 'Occurrences of each Xid code in the range, and how many GPUs logged it.',
      w: 8,
      sql: `SELECT code, count() AS events, uniqExact(host, gpu) AS gpus, max(ts) AS last
FROM kiln.gpu_events
WHERE $__timeFilter(ts) AND ${where.join(' AND ')}
GROUP BY code
ORDER BY events DESC`,
    }),
    ...rackGraceBlackwellPanels,
  ],
});
