import { goTrimSpace, isWellFormed } from './go-string.js';
import { Matcher, MatcherSyntaxError, type MatchType } from './label-matcher.js';

/**
 * Alertmanager's classic matcher parser (pkg/labels/parse.go), the one its `classic-mode` uses alone and its default
 * mode prefers (see matcher.ts). It is tolerant, as amtool's users rely on: one leading `{` and one trailing `}` are
 * dropped if present (not required to pair), matchers are split at commas outside double quotes, the name is a
 * Prometheus name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), and the value is the rest of the matcher, trimmed, optionally in
 * double quotes. Inside the value only `\"`, `\\` and `\n` are escapes; any other backslash is kept as written, so
 * `"\d+"` is the regex \d+.
 */
export function parseClassicMatchers(input: string): Matcher[] {
  let s = input.startsWith('{') ? input.slice(1) : input;
  if (s.endsWith('}')) s = s.slice(0, -1);
  const parts: string[] = [];
  let part = '';
  let insideQuotes = false;
  let escaped = false;
  for (const c of s) {
    // A comma inside quotes, like one outside, leaves `escaped` as it was: Alertmanager's splitter does the same.
    if (c === ',') {
      if (!insideQuotes) {
        parts.push(part);
        part = '';
        continue;
      }
    } else if (c === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (c === '\\') escaped = !escaped;
    else escaped = false;
    part += c;
  }
  // Only the last part is trimmed and may be empty (a trailing comma); an empty part elsewhere (`a=b,,c=d`) is an error.
  const last = goTrimSpace(part);
  if (last !== '') parts.push(last);
  return parts.map(parseClassicMatcher);
}

/**
 * One matcher in the classic syntax: `name op value`, the whole input (commas and braces included) being one.
 *
 * Kiln refuses exactly what Alertmanager refuses, but says so in its own words, naming the whole matcher:
 * `"rack": expected name="value" …` where Alertmanager says `bad matcher format: rack`, and `stray quote in value` or
 * `unterminated quoted value` where it says `matcher value contains unescaped double quote`.
 */
export function parseClassicMatcher(input: string): Matcher {
  const m = splitMatcher(input);
  if (m === undefined)
    throw new MatcherSyntaxError(`${JSON.stringify(input)}: expected name="value" with one of = != =~ !~`);
  return new Matcher(m.name, m.op, unescapeValue(m.rawValue, input));
}

/**
 * `^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$`, Alertmanager's expression (where \s is Go's ASCII
 * space: tab, newline, form feed, carriage return, space), read by hand: JavaScript's backtracking engine would take
 * quadratic time on a long run of spaces in the value, and this parser reads API input.
 */
function splitMatcher(input: string): { name: string; op: MatchType; rawValue: string } | undefined {
  let i = skipSpace(input, 0);
  const nameStart = i;
  if (i >= input.length || !NAME_START.test(input.charAt(i))) return undefined;
  while (i < input.length && NAME_CHAR.test(input.charAt(i))) i++;
  const name = input.slice(nameStart, i);
  i = skipSpace(input, i);
  const op = OPERATORS.find((o) => input.startsWith(o, i));
  if (op === undefined) return undefined;
  i = skipSpace(input, i + op.length);
  let end = input.length;
  while (end > i && ASCII_SPACE.has(input.charAt(end - 1))) end--;
  return { name, op, rawValue: input.slice(i, end) };
}

/**
 * The value: quotes around it are optional, but a `"` anywhere else must be escaped; `\n` is a newline, `\"` and `\\`
 * the character; a backslash before anything else (or at the very end) is a literal backslash.
 */
function unescapeValue(written: string, matcher: string): string {
  const quoted = written.startsWith('"');
  const raw = quoted ? written.slice(1) : written;
  const refuse = (why: string): MatcherSyntaxError => new MatcherSyntaxError(`${JSON.stringify(matcher)}: ${why}`);
  if (!isWellFormed(raw)) throw refuse('value is not valid UTF-8');
  let value = '';
  let escaped = false;
  let expectTrailingQuote = quoted;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (escaped) {
      escaped = false;
      value += c === 'n' ? '\n' : c === '"' || c === '\\' ? c : `\\${c}`;
    } else if (c === '\\') {
      if (i < raw.length - 1) escaped = true;
      else value += '\\';
    } else if (c === '"') {
      if (!expectTrailingQuote || i < raw.length - 1) throw refuse('stray quote in value');
      expectTrailingQuote = false;
    } else value += c;
  }
  if (expectTrailingQuote) throw refuse('unterminated quoted value');
  return value;
}

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && ASCII_SPACE.has(s.charAt(i))) i++;
  return i;
}

const ASCII_SPACE = new Set(['\t', '\n', '\f', '\r', ' ']);
const NAME_START = /^[a-zA-Z_:]$/;
const NAME_CHAR = /^[a-zA-Z0-9_:]$/;
/** `=~` before `=`, or `foo=~bar` would read as `foo` = `~bar`. */
const OPERATORS: readonly MatchType[] = ['=~', '=', '!=', '!~'];
