/**
 * Grafana's template variable interpolation (the frontend's templateSrv.replace), as the ClickHouse data source
 * invokes it before a query leaves the browser: `$var`, `${var}`, `${var:format}`, `[[var]]`, and the built-ins
 * `$__from`, `$__to`, `$__interval`, `$__interval_ms`. Unknown names stay as they are (as in Grafana), which leaves
 * the plugin's own `$__macros` for the backend.
 */

export interface TemplateVariable {
  /** The selection: one value, or several of a multi-value variable; `$__all` (alone) when All is selected. */
  readonly current: string | readonly string[];
  /** Every value the variable offers: what All stands for, unless `allValue` is set. */
  readonly options?: readonly string[];
  /** The variable's custom all value. */
  readonly allValue?: string;
}

export const ALL = '$__all';

/** What a variable's `current` stands for: All resolved to its options (or allValue). */
export function selectedValue(variable: TemplateVariable): string | readonly string[] {
  const { current } = variable;
  const all = current === ALL || (Array.isArray(current) && current.length === 1 && current[0] === ALL);
  if (!all) return current;
  return variable.allValue ?? variable.options ?? [];
}

function quoteEach(value: string | readonly string[], quote: (s: string) => string): string {
  return typeof value === 'string' ? quote(value) : value.map(quote).join(',');
}

/** Grafana's variable formats (formatRegistry) that SQL uses. */
const FORMATS: Record<string, (value: string | readonly string[]) => string> = {
  singlequote: (v) => quoteEach(v, (s) => `'${s.replace(/'/g, "\\'")}'`),
  doublequote: (v) => quoteEach(v, (s) => `"${s.replace(/"/g, '\\"')}"`),
  sqlstring: (v) => quoteEach(v, (s) => `'${s.replace(/'/g, "''")}'`),
  csv: (v) => (typeof v === 'string' ? v : v.join(',')),
  raw: (v) => (typeof v === 'string' ? v : v.join(',')),
  pipe: (v) => (typeof v === 'string' ? v : v.join('|')),
};

/** The ClickHouse data source's own formatter, for a variable without a format: several values quoted, one as is. */
function datasourceFormat(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : `'${value.join("','")}'`;
}

/** Grafana's variable syntax (templateSrv's regex). */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

export interface InterpolationContext {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number;
  readonly variables: Readonly<Record<string, TemplateVariable>>;
}

/** `$__interval` as Grafana writes it: the largest unit that divides it (`20s`, `1m`, `2h`, `1d`). */
function intervalText(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function interpolateVariables(sql: string, context: InterpolationContext): string {
  const builtIns: Record<string, string> = {
    __from: String(context.fromMs),
    __to: String(context.toMs),
    __interval: intervalText(context.intervalMs),
    __interval_ms: String(context.intervalMs),
  };
  return sql.replace(
    VARIABLE,
    (
      match: string,
      plain?: string,
      bracket?: string,
      bracketFormat?: string,
      braced?: string,
      fieldPath?: string,
      bracedFormat?: string,
    ) => {
      const name = plain ?? bracket ?? braced ?? '';
      const format = bracketFormat ?? bracedFormat;
      if (fieldPath !== undefined) throw new Error(`${match}: field paths of variables are not supported`);
      const builtIn = builtIns[name];
      if (builtIn !== undefined) {
        if (format !== undefined) throw new Error(`${match}: formats of built-in variables are not supported`);
        return builtIn;
      }
      const variable = context.variables[name];
      if (variable === undefined) return match;
      const value = selectedValue(variable);
      if (format === undefined) return datasourceFormat(value);
      const formatter = FORMATS[format];
      if (formatter === undefined) throw new Error(`${match}: unknown variable format ${format}`);
      return formatter(value);
    },
  );
}
