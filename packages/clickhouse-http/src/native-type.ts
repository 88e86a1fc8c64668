/** A ClickHouse data type as written in a Native block header, e.g. `Array(LowCardinality(Nullable(String)))`. */
export interface NativeType {
  name: string;
  /** Type arguments: nested types, or raw literals (`3`, `'UTC'`, `'a' = 1`) kept as `literal`. */
  args: NativeTypeArg[];
}

export type NativeTypeArg = { type: NativeType } | { literal: string };

/** Splits the inside of `Name(...)` at its top-level commas. */
function splitArgs(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '`' || c === '"') {
      quote = c;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(inner.slice(start).trim());
  return parts;
}

const TYPE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The type of one argument: a Tuple element may be named (`name Type`, the name possibly back-quoted). */
function argumentType(arg: string): string {
  if (arg.startsWith('`')) {
    const close = arg.indexOf('`', 1);
    return arg.slice(close + 1).trim();
  }
  const space = arg.search(/\s/);
  const paren = arg.indexOf('(');
  return space !== -1 && (paren === -1 || space < paren) ? arg.slice(space).trim() : arg;
}

export function parseNativeType(text: string): NativeType {
  const trimmed = text.trim();
  const open = trimmed.indexOf('(');
  if (open === -1) {
    if (!TYPE_NAME.test(trimmed)) throw new Error(`not a type: ${trimmed}`);
    return { name: trimmed, args: [] };
  }
  if (!trimmed.endsWith(')')) throw new Error(`not a type: ${trimmed}`);
  const args = splitArgs(trimmed.slice(open + 1, -1)).map(
    (arg): NativeTypeArg => (/^[A-Za-z_`]/.test(arg) ? { type: parseNativeType(argumentType(arg)) } : { literal: arg }),
  );
  return { name: trimmed.slice(0, open), args };
}
