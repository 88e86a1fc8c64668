import { applyConditionalAll } from './conditional-all.js';
import { expandPluginMacros } from './plugin-macros.js';
import { interpolateVariables, type TemplateVariable } from './template-variables.js';

export interface GrafanaQueryContext {
  /** The dashboard's time range, Unix milliseconds. */
  readonly fromMs: number;
  readonly toMs: number;
  /** The panel's interval (grafanaInterval), milliseconds. */
  readonly intervalMs: number;
  /** The dashboard's template variables by name. */
  readonly variables: Readonly<Record<string, TemplateVariable>>;
}

/**
 * A ClickHouse data source query as it reaches ClickHouse from a Grafana panel: `$__conditionalAll` and the template
 * variables expanded in the browser, then the plugin's macros in its backend. Throws on a `$__` name that neither
 * step knows (Grafana would send it on, for ClickHouse to fail on).
 */
export function expandGrafanaQuery(rawSql: string, context: GrafanaQueryContext): string {
  const withVariables = interpolateVariables(applyConditionalAll(rawSql, context.variables), context);
  const sql = expandPluginMacros(withVariables, context);
  const unknown = /\$__\w+/.exec(sql);
  if (unknown !== null)
    throw new Error(`${unknown[0]} is not a macro of the ClickHouse data source (or not one this expander implements)`);
  return sql;
}
