// One GPU in detail: every metric it reports, the events in its samples (Xids, throttling, ECC errors, row
// remapping) and the alerts about it.
import { gpuGraceBlackwellPanels } from './grace-blackwell.mjs';
import { dashboard, table, tieredSeries, timeseries } from './panels.mjs';
import { agg, alertRows, CLOCK_EVENTS, filter, tiered } from './sql.mjs';
import { gpuVariables } from './variables.mjs';

const where = [filter.is('cluster'), filter.is('rack'), filter.is('host'), filter.is('gpu')];
const THERMAL = CLOCK_EVENTS.thermal | CLOCK_EVENTS.hwSlowdown;

/** A panel of this GPU's `values` ([alias, aggregate]) per interval. */
const series = (title, unit, values, extra = {}) => tieredSeries(title, unit, values, where, extra);

export const gpu = dashboard({
  uid: 'kiln-gpu',
  title: 'Kiln / GPU',
  description: 'One GPU: every metric, the events in its samples, its alert history.',
  variables: gpuVariables,
  panels: [
    series('Temperature', 'celsius', [
      ['gpu_mean', agg.mean('temp_c')],
      ['gpu_max', agg.max('temp_c')],
      ['memory_mean', agg.mean('mem_temp_c')],
      ['memory_max', agg.max('mem_temp_c')],
      ['gpu_slowdown_threshold', agg.min('slowdown_temp_c')],
      ['memory_max_threshold', agg.min('mem_max_temp_c')],
    ]),
    series('Power', 'watt', [
      ['power_mean', agg.mean('power_w')],
      ['power_max', agg.max('power_w')],
      ['power_limit', agg.min('power_limit_w')],
      // The energy counter's rate: the power averaged over the whole interval, not over the samples.
      ['from_energy_counter', agg.rate('energy_j')],
    ]),
    series(
      'Utilization',
      'percent',
      [
        ['gpu_util', agg.mean('util_pct')],
        ['memory_copy_util', agg.mean('mem_util_pct')],
      ],
      { min: 0, max: 100 },
    ),
    series(
      'Activity (DCGM profiling)',
      'percentunit',
      [
        ['sm_active_mean', agg.mean('sm_active')],
        ['tensor_active_mean', agg.mean('tensor_active')],
        ['dram_active_mean', agg.mean('dram_active')],
      ],
      { min: 0, max: 1 },
    ),
    series('Clocks', 'rotmhz', [
      ['sm_mean', agg.mean('sm_clock_mhz')],
      ['sm_lowest', agg.min('sm_clock_mhz')],
      ['memory_mean', agg.mean('mem_clock_mhz')],
    ]),
    series('Framebuffer', 'mbytes', [
      ['used', agg.mean('fb_used_mib')],
      ['free', agg.mean('fb_free_mib')],
    ]),
    series('NVLink throughput', 'Bps', [['nvlink', agg.rate('nvlink_bytes')]]),
    series(
      'Error counters',
      'none',
      [
        ['ecc_single_bit', agg.max('ecc_sbe_vol')],
        ['ecc_double_bit', agg.max('ecc_dbe_vol')],
        ['remapped_rows_uncorrectable', agg.max('remapped_rows_unc')],
        ['row_remap_failure', agg.max('row_remap_failure')],
        ['pcie_replays', agg.max('pcie_replay')],
      ],
      {
        description: 'Volatile counters as levels: a step is new errors (they restart from 0 when the driver reloads).',
      },
    ),
    timeseries({
      title: 'Clock events (throttle reasons)',
      description: 'Reasons set at any sample in the interval (DCGM field 112).',
      sql: `SELECT time,
  bitAnd(clocks, 0x04) != 0 AS sw_power_cap, bitAnd(clocks, 0x08) != 0 AS hw_slowdown,
  bitAnd(clocks, 0x20) != 0 AS sw_thermal, bitAnd(clocks, 0x40) != 0 AS hw_thermal,
  bitAnd(clocks, 0x80) != 0 AS hw_power_brake
FROM (
${tiered({ values: [['clocks', agg.bits('clock_events')]], where })}
)
ORDER BY time`,
      custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal' } },
    }),
    series('Last Xid', 'none', [['xid_code', agg.max('xid')]], { custom: { drawStyle: 'points', pointSize: 6 } }),
    table({
      title: 'Events',
      description:
        'Changes between consecutive samples in the range: a new Xid, thermal throttling starting or ending, ECC errors, remapped rows, a row remap failure.',
      w: 24,
      sql: `SELECT ts AS time, arrayStringConcat(arrayFilter(e -> e != '', [
    if(xid > 0 AND xid != prev_xid, concat('Xid ', toString(xid)), ''),
    if(bitAnd(clock_events, ${THERMAL}) != 0 AND bitAnd(prev_clocks, ${THERMAL}) = 0, concat('thermal throttling started (clock events 0x', hex(clock_events), ')'), ''),
    if(bitAnd(clock_events, ${THERMAL}) = 0 AND bitAnd(prev_clocks, ${THERMAL}) != 0, 'thermal throttling ended', ''),
    if(ecc_dbe_vol > prev_dbe, concat('ECC double-bit errors +', toString(ecc_dbe_vol - prev_dbe)), ''),
    if(ecc_sbe_vol > prev_sbe, concat('ECC single-bit errors +', toString(ecc_sbe_vol - prev_sbe)), ''),
    if(remapped_rows_unc > prev_remapped, concat('rows remapped +', toString(remapped_rows_unc - prev_remapped)), ''),
    if(row_remap_failure > 0 AND prev_remap_failure = 0, 'row remap failure', '')
  ]), '; ') AS event
FROM (
  SELECT ts, xid, clock_events, ecc_dbe_vol, ecc_sbe_vol, remapped_rows_unc, row_remap_failure,
    lagInFrame(xid) OVER w AS prev_xid, lagInFrame(clock_events) OVER w AS prev_clocks,
    lagInFrame(ecc_dbe_vol) OVER w AS prev_dbe, lagInFrame(ecc_sbe_vol) OVER w AS prev_sbe,
    lagInFrame(remapped_rows_unc) OVER w AS prev_remapped, lagInFrame(row_remap_failure) OVER w AS prev_remap_failure
  FROM kiln.gpu_samples
  WHERE $__timeFilter(ts) AND ${where.join(' AND ')}
  WINDOW w AS (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
)
WHERE event != ''
ORDER BY time DESC
LIMIT 500`,
    }),
    table({
      title: 'Xid events',
      description:
        'Every Xid the driver logged for this GPU (the kernel log, via the agent): one row per occurrence, newest first. The "Last Xid" panel shows only the latest code the driver holds.',
      w: 16,
      sql: `SELECT ts AS time, gpu, code, message
FROM kiln.gpu_events
WHERE $__timeFilter(ts) AND ${where.join(' AND ')}
ORDER BY time DESC
LIMIT 500`,
    }),
    table({
      title: 'Xid events by code',
      description: 'Occurrences of each Xid code in the range.',
      w: 8,
      sql: `SELECT code, count() AS events, max(ts) AS last
FROM kiln.gpu_events
WHERE $__timeFilter(ts) AND ${where.join(' AND ')}
GROUP BY code
ORDER BY events DESC`,
    }),
    table({
      title: 'Alert history',
      description: 'Alerts about this GPU or its host: lifecycle and notifications.',
      w: 24,
      sql: `SELECT ts AS time, event, alertname, severity, receiver, outcome, annotations['summary'] AS summary, detail
FROM ${alertRows(['$__timeFilter(ts)', filter.is('cluster'), filter.is('rack'), filter.is('host'), `(isNull(gpu) OR ${filter.is('gpu')})`])}
ORDER BY time DESC
LIMIT 500`,
    }),
    ...gpuGraceBlackwellPanels,
  ],
});
