// Grace-Blackwell panels of the GPU and rack dashboards: thermal margin, module power, NVLink links and errors, and
// the NVLink fabric. One block per dashboard, so they stay together.
import { table, tieredSeries, timeseries } from './panels.mjs';
import { agg, filter, GPU_LABEL, tiered } from './sql.mjs';

const GPU_WHERE = [filter.is('cluster'), filter.is('rack'), filter.is('host'), filter.is('gpu')];
const RACK_WHERE = [filter.is('cluster'), filter.is('rack'), filter.any('host')];
const NVLINK_ERRORS = [
  ['crc_errors_per_s', agg.rate('nvlink_crc_errors')],
  ['replay_errors_per_s', agg.rate('nvlink_replay_errors')],
  ['recovery_errors_per_s', agg.rate('nvlink_recovery_errors')],
];

export const gpuGraceBlackwellPanels = [
  tieredSeries(
    'Thermal margin',
    'celsius',
    [
      ['margin_lowest', agg.min('temp_margin_c')],
      ['margin_mean', agg.mean('temp_margin_c')],
    ],
    GPU_WHERE,
    {
      description:
        'Degrees below the slowdown point, as the GPU reads it (temp_margin_c, T.Limit): at 0 it slows its clocks.',
    },
  ),
  tieredSeries(
    'Module power',
    'watt',
    [
      ['module_mean', agg.mean('module_power_w')],
      ['module_max', agg.max('module_power_w')],
      ['module_limit', agg.min('module_power_limit_w')],
    ],
    GPU_WHERE,
    {
      description:
        'The Grace-Blackwell module (two GPUs and a Grace CPU) this GPU belongs to, against its power limit.',
    },
  ),
  tieredSeries(
    'NVLink links inactive and errors',
    'none',
    [['links_inactive', agg.max('nvlink_links_inactive')], ...NVLINK_ERRORS],
    GPU_WHERE,
    {
      description:
        'Links present but not active (0 on a healthy GB300), and the NVLink error counters as rates per second.',
    },
  ),
  timeseries({
    title: 'NVLink fabric',
    description:
      'fabric_state (lowest in the interval: 3 completed, 2 in progress, 1 not started, 0 not supported), the highest fabric_status (0 success) and the clique id (0: none). Read from raw samples: the rollups keep only the OR of state codes.',
    sql: `SELECT $__timeInterval(ts) AS time, toFloat64(min(fabric_state)) AS state, toFloat64(max(fabric_status)) AS status, toFloat64(max(fabric_clique)) AS clique
FROM kiln.gpu_samples
WHERE $__timeFilter(ts) AND ${GPU_WHERE.join(' AND ')}
GROUP BY time
ORDER BY time`,
    custom: { drawStyle: 'points', pointSize: 4 },
  }),
];

export const rackGraceBlackwellPanels = [
  timeseries({
    title: 'Thermal margin',
    description: 'Each GPU’s own thermal margin (degrees below its slowdown point).',
    unit: 'celsius',
    sql: `SELECT time, gpu_id, value FROM (
${tiered({ keys: [GPU_LABEL], values: [['value', agg.min('temp_margin_c')]], where: RACK_WHERE })}
)
ORDER BY time`,
    displayName: '${__field.labels.gpu_id}',
    options: { legend: { showLegend: false }, tooltip: { mode: 'multi', sort: 'asc' } },
  }),
  timeseries({
    title: 'Rack power',
    description:
      'The summed mean power of the rack’s GPUs, and of its modules (each reported by both its GPUs, so halved): swings show here.',
    unit: 'watt',
    sql: `SELECT time, sum(gpu_power) AS gpus, sum(module_power) / 2 AS modules FROM (
${tiered({
  keys: ['host', 'gpu'],
  values: [
    ['gpu_power', agg.mean('power_w')],
    ['module_power', agg.mean('module_power_w')],
  ],
  where: RACK_WHERE,
})}
)
GROUP BY time
ORDER BY time`,
  }),
  timeseries({
    title: 'NVLink: GPUs with links down, and errors',
    description:
      'GPUs of the rack with an inactive NVLink link in the interval, and the rack’s NVLink error rates (summed over its GPUs, per second).',
    sql: `SELECT time, countIf(links_inactive > 0) AS gpus_with_links_down, sum(crc_errors_per_s) AS crc_errors_per_s,
  sum(replay_errors_per_s) AS replay_errors_per_s, sum(recovery_errors_per_s) AS recovery_errors_per_s
FROM (
${tiered({ keys: ['host', 'gpu'], values: [['links_inactive', agg.max('nvlink_links_inactive')], ...NVLINK_ERRORS], where: RACK_WHERE })}
)
GROUP BY time
ORDER BY time`,
  }),
  table({
    title: 'NVLink fabric per GPU',
    description:
      'Each GPU’s latest fabric state (3 completed, 2 in progress, 1 not started, 0 not supported), status (0 success), clique (0: none) and inactive links, in the last 2 minutes of the range. An idle rack without a compute domain shows no clique.',
    sql: `SELECT host, gpu, argMax(fabric_state, ts) AS fabric_state, argMax(fabric_status, ts) AS fabric_status,
  argMax(fabric_clique, ts) AS fabric_clique, argMax(nvlink_links_inactive, ts) AS links_inactive, argMax(job, ts) AS job_id
FROM kiln.gpu_samples
WHERE ts >= $__toTime - INTERVAL 2 MINUTE AND ts <= $__toTime AND ${RACK_WHERE.join(' AND ')}
GROUP BY host, gpu
ORDER BY fabric_state, host, gpu`,
  }),
];
