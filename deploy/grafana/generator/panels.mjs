// Grafana dashboard JSON: panels, targets, template variables and layout for the ClickHouse data source.

import { tiered } from './sql.mjs';

/** The data source every Kiln panel uses; provisioning/datasources/kiln-clickhouse.yaml gives it this uid. */
export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'kiln-clickhouse' };

/** A SQL query of the ClickHouse plugin; `table` or `timeSeries` (long format: time, label columns, values). */
function target(sql, format) {
  return {
    refId: 'A',
    datasource: DATASOURCE,
    editorType: 'sql',
    queryType: format,
    // The plugin's older numeric format (0 time series, 1 table), which its backend still reads.
    format: format === 'table' ? 1 : 0,
    rawSql: sql,
  };
}

/**
 * One panel. `type`: timeseries, stat, table, heatmap, state-timeline, barchart. `w`, `h`: grid units (24 wide).
 * `custom` goes to fieldConfig.defaults.custom, `options` to the panel's options.
 */
export function panel({
  type,
  title,
  description,
  sql,
  format = 'timeSeries',
  w = 12,
  h = 8,
  unit,
  min,
  max,
  decimals,
  displayName,
  custom,
  options,
  overrides,
}) {
  const defaults = {
    ...(unit !== undefined ? { unit } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(decimals !== undefined ? { decimals } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    ...(custom !== undefined ? { custom } : {}),
  };
  return {
    type,
    title,
    ...(description !== undefined ? { description } : {}),
    datasource: DATASOURCE,
    targets: [target(sql, format)],
    fieldConfig: { defaults, overrides: overrides ?? [] },
    options: options ?? {},
    w,
    h,
  };
}

export const timeseries = (spec) =>
  panel({
    type: 'timeseries',
    ...spec,
    custom: { lineWidth: 1, fillOpacity: 0, showPoints: 'never', spanNulls: false, ...spec.custom },
  });
export const stat = (spec) =>
  panel({
    type: 'stat',
    format: 'table',
    w: 4,
    h: 4,
    ...spec,
    options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value', graphMode: 'none', ...spec.options },
  });
export const table = (spec) =>
  panel({ type: 'table', format: 'table', ...spec, options: { showHeader: true, ...spec.options } });

/** A query variable filled by `sql` (the dashboard's time range applies: refresh on time range change). */
export function queryVariable({ name, label, sql, multi = false, includeAll = false }) {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query: sql,
    definition: sql,
    refresh: 2,
    sort: 1,
    multi,
    includeAll,
    current: {},
    options: [],
    hide: 0,
  };
}

/** Lays panels out left to right, wrapping at 24 columns, and numbers them. */
function layout(panels) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map(({ w, h, ...p }, i) => {
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { id: i + 1, gridPos: { x, y, w, h }, ...p };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return placed;
  });
}

/** A whole dashboard: UTC, refreshing every 30 s, linked to the other Kiln dashboards (variables and time kept). */
export function dashboard({ uid, title, description, variables, panels, time = { from: 'now-3h', to: 'now' } }) {
  return {
    uid,
    title,
    description,
    tags: ['kiln'],
    timezone: 'utc',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time,
    links: [{ type: 'dashboards', tags: ['kiln'], asDropdown: true, title: 'Kiln', includeVars: true, keepTime: true }],
    templating: { list: variables },
    annotations: { list: [] },
    panels: layout(panels),
  };
}

/** A time series of `values` ([alias, aggregate]) per interval over the rows `where` selects, from the tier that fits. */
export function tieredSeries(title, unit, values, where, extra = {}) {
  return timeseries({
    title,
    unit,
    sql: `SELECT time, ${values.map(([alias]) => alias).join(', ')} FROM (
${tiered({ values, where })}
)
ORDER BY time`,
    ...extra,
  });
}
