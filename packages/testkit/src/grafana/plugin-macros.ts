/**
 * The ClickHouse data source's backend macros (pkg/macros/macros.go, expanded by grafana/sqlds): time filters,
 * intervals and range bounds in the query's time range, UTC. A macro is `$__name` ending at a word boundary,
 * optionally followed at once by a parenthesised argument list (commas split it outside nested parentheses, each
 * argument trimmed).
 */

export interface MacroContext {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number;
}

type Macro = (context: MacroContext, args: readonly string[]) => string;

const seconds = (ms: number): number => Math.floor(ms / 1000);
const dateTime = (ms: number): string => `toDateTime(${seconds(ms)})`;
const dateTime64 = (ms: number): string => `fromUnixTimestamp64Milli(${ms})`;
const date = (ms: number): string => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
/** The interval in whole seconds, at least 1 (Go's int() truncation of max(seconds, 1)). */
const intervalSeconds = (context: MacroContext): number => Math.max(Math.trunc(context.intervalMs / 1000), 1);

function checkArgumentCount(name: string, args: readonly string[], count: number): void {
  if (args.length !== count) throw new Error(`$__${name}: expected ${count} argument(s), received ${args.length}`);
}

const MACROS: Record<string, Macro> = {
  fromTime: (c) => dateTime(c.fromMs),
  toTime: (c) => dateTime(c.toMs),
  fromTime_ms: (c) => dateTime64(c.fromMs),
  toTime_ms: (c) => dateTime64(c.toMs),
  timeFilter: (c, a) => (
    checkArgumentCount('timeFilter', a, 1), `${a[0]} >= ${dateTime(c.fromMs)} AND ${a[0]} <= ${dateTime(c.toMs)}`
  ),
  timeFilter_ms: (c, a) => (
    checkArgumentCount('timeFilter_ms', a, 1), `${a[0]} >= ${dateTime64(c.fromMs)} AND ${a[0]} <= ${dateTime64(c.toMs)}`
  ),
  dateFilter: (c, a) => (
    checkArgumentCount('dateFilter', a, 1), `${a[0]} >= ${date(c.fromMs)} AND ${a[0]} <= ${date(c.toMs)}`
  ),
  dateTimeFilter: (c, a) => dateTimeFilter('dateTimeFilter', c, a),
  dt: (c, a) => dateTimeFilter('dt', c, a),
  timeInterval: (c, a) => (
    checkArgumentCount('timeInterval', a, 1),
    `toStartOfInterval(toDateTime(${a[0]}), INTERVAL ${intervalSeconds(c)} second)`
  ),
  timeInterval_ms: (c, a) => (
    checkArgumentCount('timeInterval_ms', a, 1),
    `toStartOfInterval(toDateTime64(${a[0]}, 3), INTERVAL ${Math.max(Math.trunc(c.intervalMs), 1)} millisecond)`
  ),
  interval_s: (c) => String(intervalSeconds(c)),
};

function dateTimeFilter(name: string, c: MacroContext, a: readonly string[]): string {
  checkArgumentCount(name, a, 2);
  return `(${a[0]} >= ${date(c.fromMs)} AND ${a[0]} <= ${date(c.toMs)}) AND (${a[1]} >= ${dateTime(c.fromMs)} AND ${a[1]} <= ${dateTime(c.toMs)})`;
}

/** The argument list opening `text`, and its length; no list: [], 0. */
function parseArguments(text: string): { args: string[]; length: number } {
  if (!text.startsWith('(')) return { args: [], length: 0 };
  const args: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' && ++depth === 1) continue;
    if (c === ')' && --depth === 0) {
      args.push(current.trim());
      return { args, length: i + 1 };
    }
    if (c === ',' && depth === 1) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  throw new Error('a macro’s argument list has no closing parenthesis');
}

/** Expands every macro the plugin knows; any other `$__name` is left as it is. */
export function expandPluginMacros(sql: string, context: MacroContext): string {
  let out = sql;
  for (const [name, macro] of Object.entries(MACROS)) {
    const pattern = new RegExp(`\\$__${name}\\b`, 'g');
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(out)) !== null) {
      const start = match.index;
      const { args, length } = parseArguments(out.slice(pattern.lastIndex));
      const expansion = macro(context, args);
      out = out.slice(0, start) + expansion + out.slice(pattern.lastIndex + length);
      pattern.lastIndex = start + expansion.length;
    }
  }
  return out;
}
