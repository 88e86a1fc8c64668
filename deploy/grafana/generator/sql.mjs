// SQL building blocks of Kiln's dashboards: the raw table and the three rollups as tiers chosen by the panel's
// interval, and aggregates that read the same in each tier.

/**
 * The tables a time-bucketed panel reads, finest first. Exactly one tier's condition holds for any interval (in
 * whole seconds): the coarsest table whose window divides the panel's bucket, so every bucket is made of whole
 * windows. Grafana's automatic intervals of 1, 2, 5 and 15 s read raw samples (ranges up to about 5 hours at 1,000
 * points), 10–30 s the 10 s rollup, 1–30 min the minute rollup, 1 h and up the hourly one. The other branches' conditions are constant
 * false once the plugin has expanded `$__interval_s`, so ClickHouse reads nothing for them.
 */
export const TIERS = [
  { table: 'kiln.gpu_samples', raw: true, when: '$__interval_s % 10 != 0' },
  { table: 'kiln.gpu_rollup_10s', raw: false, when: '$__interval_s % 10 = 0 AND $__interval_s % 60 != 0' },
  { table: 'kiln.gpu_rollup_1m', raw: false, when: '$__interval_s % 60 = 0 AND $__interval_s % 3600 != 0' },
  { table: 'kiln.gpu_rollup_1h', raw: false, when: '$__interval_s % 3600 = 0' },
];

/** An aggregate over gpu_samples and the same over a rollup table (docs/storage.md: sum(<m>_sum) / sum(<m>_count) adds partial rows up). */
export const agg = {
  /** Mean of a gauge over the present values. */
  mean: (m) => ({ raw: `avg(${m})`, rollup: `sum(${m}_sum) / sum(${m}_count)` }),
  max: (m) => ({ raw: `max(${m})`, rollup: `max(${m}_max)` }),
  min: (m) => ({ raw: `min(${m})`, rollup: `min(${m}_min)` }),
  /** Every bit set in the bucket (an integer, for bitAnd). */
  bits: (m) => ({ raw: `groupBitOr(${m})`, rollup: `groupBitOr(${m}_or)`, type: 'UInt32' }),
  /**
   * A counter's rate per second. Over a bucket of n samples the counter's max − min spans n − 1 sample intervals,
   * (n − 1) / n of the bucket (whether the bucket is read from raw samples or from rollup windows: the first
   * window's min and the last window's max bound it), so nothing is lost at window or bucket edges. One GPU only;
   * a counter reset (driver reload) inside a bucket reads as a spike there.
   */
  rate: (m) => ({
    raw: `(toFloat64(max(${m})) - toFloat64(min(${m}))) * count() / (nullIf(count() - 1, 0) * $__interval_s)`,
    rollup: `(toFloat64(max(${m}_max)) - toFloat64(min(${m}_min))) * sum(samples) / (nullIf(sum(samples) - 1, 0) * $__interval_s)`,
  }),
};

/**
 * The UNION ALL of one SELECT per tier, grouped by `keys` (and by the time bucket, aliased `time`, unless
 * `bucketed` is false), with each value as Float64 (or the aggregate's own `type`), so that the branches agree on
 * types (`values`: [alias, aggregate]; an alias must not be a column name, or ClickHouse reads the alias for it).
 * `where`: conditions on the labels (and anything else all tiers have), ANDed.
 */
export function tiered({ keys = [], values, where = [], bucketed = true }) {
  const groupBy = [...(bucketed ? ['time'] : []), ...keys.map(keyAlias)];
  return TIERS.map((tier) => {
    const select = [
      ...(bucketed ? ['$__timeInterval(ts) AS time'] : []),
      ...keys,
      ...values.map(([alias, a]) => `to${a.type ?? 'Float64'}(${tier.raw ? a.raw : a.rollup}) AS ${alias}`),
    ];
    return [
      `  SELECT ${select.join(', ')}`,
      `  FROM ${tier.table}`,
      `  WHERE ${[tier.when, '$__timeFilter(ts)', ...where].join(' AND ')}`,
      ...(groupBy.length > 0 ? [`  GROUP BY ${groupBy.join(', ')}`] : []),
    ].join('\n');
  }).join('\n  UNION ALL\n');
}

/** `expr AS alias` → `alias`; a plain column → itself. */
function keyAlias(key) {
  const as = / AS (\w+)$/.exec(key);
  return as ? as[1] : key;
}

/** Conditions on the template variables. */
export const filter = {
  /** A multi-value variable with "All": the plugin's $__conditionalAll drops the condition when All is selected. */
  any: (column, variable = column) => `$__conditionalAll(${column} IN (\${${variable}:singlequote}), $${variable})`,
  /** A single-value variable. */
  is: (column, variable = column) => `${column} = \${${variable}:singlequote}`,
};

/** Clock-event reason bits (DCGM field 112). */
export const CLOCK_EVENTS = {
  thermal: 0x20 | 0x40, // SW_THERMAL | HW_THERMAL
  hwSlowdown: 0x08,
  power: 0x04 | 0x80, // SW_POWER_CAP | HW_POWER_BRAKE
};

/** The label of one GPU in a rack: `r0001-t03/2`. */
export const GPU_LABEL = "concat(host, '/', toString(gpu)) AS gpu_id";

/** The alert history rows matching `where` (conditions on its columns), as a subquery: an outer query may then name
 *  its aggregates like the columns (`any(rack) AS rack`) without those aliases standing in for the columns here. */
export function alertRows(where) {
  return `(SELECT * FROM kiln.alerts WHERE ${where.join(' AND ')})`;
}

/**
 * Each alert's state as of `asOf`: its last lifecycle event (firing or resolved) at or before it, with its labels.
 */
export function alertStates(where, asOf = '$__toTime') {
  return `SELECT fingerprint, argMax(event, ts) AS state, argMax(alertname, ts) AS alertname, argMax(severity, ts) AS severity,
    argMax(category, ts) AS category, argMax(rack, ts) AS rack, argMax(host, ts) AS host, argMax(gpu, ts) AS gpu,
    argMax(starts_at, ts) AS starts_at, argMax(annotations['summary'], ts) AS summary
  FROM ${alertRows([`event IN ('firing', 'resolved')`, `ts <= ${asOf}`, ...where])}
  GROUP BY fingerprint`;
}

/** How an alert is named on a timeline: `GpuOverheat r0001-t03/2`, `RackCoolingFailure r0001`. */
export const ALERT_LABEL =
  "concat(alertname, ' ', if(host = '', rack, host), if(isNull(gpu), '', concat('/', toString(gpu)))) AS alert";
