import { expandGrafanaQuery, grafanaInterval, parseGrafanaInterval, type TemplateVariable } from '@kiln/testkit';
import type { Dashboard, DataSourceRef, Panel, Target } from './dashboard-json.js';

export const CLICKHOUSE_PLUGIN = 'grafana-clickhouse-datasource';

/** A dashboard's time range and the data points its panels draw (Grafana's default width). */
export interface TimeRange {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
}
export const MAX_DATA_POINTS = 1000;

export type Row = Record<string, unknown>;
/** Runs one SQL query, returning its rows. */
export type RunQuery = (sql: string) => Promise<Row[]>;

/** A variable's pick: a value, several, or All. Unpicked: All where offered, else the first option. */
export type Choices = Readonly<Record<string, string | readonly string[]>>;

const usesClickHouse = (ds: DataSourceRef | undefined): boolean => ds?.type === CLICKHOUSE_PLUGIN;

/**
 * The dashboard's variables as Grafana fills them: each query variable's SQL, expanded with the variables before it,
 * run for its options (the first column).
 */
export async function resolveVariables(
  dashboard: Dashboard,
  range: TimeRange,
  choices: Choices,
  run: RunQuery,
): Promise<Record<string, TemplateVariable>> {
  const resolved: Record<string, TemplateVariable> = {};
  for (const variable of dashboard.variables) {
    if (variable.type !== 'query' || variable.sql === undefined || !usesClickHouse(variable.datasource)) continue;
    const sql = expandGrafanaQuery(variable.sql, {
      ...range,
      intervalMs: grafanaInterval(range.toMs - range.fromMs, MAX_DATA_POINTS),
      variables: resolved,
    });
    const rows = await run(sql).catch((e: unknown) => {
      throw new Error(`${dashboard.file} variable ${variable.name}: ${(e as Error).message}\n${sql}`);
    });
    const options = rows.map((r) => String(Object.values(r)[0]));
    const choice = choices[variable.name];
    const current = choice ?? (variable.includeAll ? '$__all' : (options[0] ?? ''));
    resolved[variable.name] = { current, options };
  }
  return resolved;
}

export interface PanelQuery {
  readonly panel: Panel;
  readonly target: Target;
  /** The SQL as it reaches ClickHouse. */
  readonly sql: string;
}

/** Every ClickHouse SQL target of the dashboard, expanded for `range` and `variables`. */
export function panelQueries(
  dashboard: Dashboard,
  range: TimeRange,
  variables: Record<string, TemplateVariable>,
): PanelQuery[] {
  return dashboard.panels.flatMap((panel) =>
    panel.targets
      .filter((t) => t.rawSql !== undefined && usesClickHouse(t.datasource ?? panel.datasource))
      .map((target) => {
        const intervalMs = grafanaInterval(
          range.toMs - range.fromMs,
          panel.maxDataPoints ?? MAX_DATA_POINTS,
          panel.interval !== undefined ? parseGrafanaInterval(panel.interval) : 1,
        );
        return { panel, target, sql: expandGrafanaQuery(target.rawSql!, { ...range, intervalMs, variables }) };
      }),
  );
}
