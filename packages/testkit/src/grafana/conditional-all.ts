import { ALL, type TemplateVariable } from './template-variables.js';

const MACRO = '$__conditionalAll(';

/**
 * The arguments of the macro call whose `(` is at `open`, split at the commas outside nested parentheses (the
 * plugin counts parentheses only, not quotes); undefined when the parentheses never close.
 */
function macroArguments(sql: string, open: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(sql.slice(start, i));
      return args;
    }
  }
  return undefined;
}

/**
 * The ClickHouse data source's `$__conditionalAll(condition, $var)`, which its frontend expands before variables:
 * the condition, or `1=1` when the variable's selection is All (or empty). Expanded from the last occurrence to the
 * first; a call without exactly two arguments stops the expansion there, as in the plugin.
 */
export function applyConditionalAll(sql: string, variables: Readonly<Record<string, TemplateVariable>>): string {
  let out = sql;
  let at = out.lastIndexOf(MACRO);
  while (at !== -1) {
    const args = macroArguments(out, at + MACRO.length - 1);
    if (args === undefined || args.length !== 2) return out;
    const [condition, variableRef] = args as [string, string];
    const name = variableRef.trim().slice(1);
    const current = variables[name]?.current;
    const value = current === undefined ? undefined : typeof current === 'string' ? current : current.join(',');
    const phrase = value === '' || value === ALL ? '1=1' : condition;
    out = out.replace(`${MACRO}${condition},${variableRef})`, phrase);
    at = out.lastIndexOf(MACRO);
  }
  return out;
}
