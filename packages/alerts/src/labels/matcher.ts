import type { Labels } from '../alert.js';
import { LabelRegex } from './label-regex.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * One label matcher as Alertmanager defines it: `=` and `!=` compare the value, `=~` and `!~` match an anchored
 * regular expression with RE2's syntax and semantics (LabelRegex: linear time). A label that is absent has the empty
 * value, so `gpu=""` selects alerts without a gpu label and `gpu=~".+"` those with one.
 */
export class Matcher {
  private readonly regex: LabelRegex | undefined;

  constructor(
    readonly name: string,
    readonly type: MatchType,
    readonly value: string,
  ) {
    if (!LABEL_NAME.test(name)) throw new MatcherSyntaxError(`invalid label name ${JSON.stringify(name)}`);
    if (type === '=~' || type === '!~') {
      try {
        this.regex = new LabelRegex(value);
      } catch (err) {
        throw new MatcherSyntaxError((err as Error).message);
      }
    }
  }

  matches(labels: Labels): boolean {
    const v = labels[this.name] ?? '';
    switch (this.type) {
      case '=':
        return v === this.value;
      case '!=':
        return v !== this.value;
      case '=~':
        return (this.regex as LabelRegex).test(v);
      case '!~':
        return !(this.regex as LabelRegex).test(v);
    }
  }

  get isRegex(): boolean {
    return this.type === '=~' || this.type === '!~';
  }

  get isEqual(): boolean {
    return this.type === '=' || this.type === '=~';
  }

  /** `name="value"`, the notation Alertmanager prints and parses. */
  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }

  /** Builds a matcher from the API's form ({name, value, isRegex, isEqual}). */
  static fromApi(m: { name: string; value: string; isRegex: boolean; isEqual?: boolean }): Matcher {
    const equal = m.isEqual ?? true;
    return new Matcher(m.name, m.isRegex ? (equal ? '=~' : '!~') : equal ? '=' : '!=', m.value);
  }
}

export class MatcherSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherSyntaxError';
  }
}

/** Whether every matcher matches (an empty list matches everything). */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) if (!m.matches(labels)) return false;
  return true;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/**
 * Parses one matcher in Alertmanager's notation: `name op value`, the value either double-quoted with Go escapes
 * (`severity=~"critical|warning"`) or bare (`rack=r0042`, as amtool and the API's `filter` accept it).
 */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) throw new MatcherSyntaxError(`${JSON.stringify(text)}: expected name="value" with one of = != =~ !~`);
  const [, name, op, raw] = m as unknown as [string, string, MatchType, string];
  return new Matcher(name, op, unquote(raw, text));
}

/**
 * Parses a list of matchers separated by commas, optionally in braces: `{alertname="GpuHot", rack=~"r00.*"}`.
 * Commas inside quoted values do not split.
 */
export function parseMatchers(text: string): Matcher[] {
  let body = text.trim();
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) throw new MatcherSyntaxError(`${JSON.stringify(text)}: missing closing }`);
    body = body.slice(1, -1);
  }
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.filter((p) => p.trim() !== '').map(parseMatcher);
}

function unquote(raw: string, text: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new MatcherSyntaxError(`${JSON.stringify(text)}: stray quote in value`);
    return raw;
  }
  if (raw.length < 2 || !raw.endsWith('"')) throw new MatcherSyntaxError(`${JSON.stringify(text)}: unterminated quoted value`);
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'string') return value;
  } catch {
    // Go allows escapes JSON does not (\a, \x41, …); a regex like "\d+" must come through unchanged.
  }
  return raw.slice(1, -1).replace(/\\(["\\])/g, '$1');
}
