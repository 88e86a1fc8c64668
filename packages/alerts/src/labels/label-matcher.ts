import type { Labels } from '../alert.js';
import { goQuote, isWellFormed, openMetricsEscape } from './go-string.js';
import { LabelRegex } from './label-regex.js';
import { isReserved } from './matcher-lexer.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * One label matcher as Alertmanager defines it: `=` and `!=` compare the value, `=~` and `!~` match an anchored
 * regular expression with RE2's syntax and semantics (LabelRegex: linear time). A label that is absent has the empty
 * value, so `gpu=""` selects alerts without a gpu label and `gpu=~".+"` those with one.
 *
 * A name is any non-empty text, as in Alertmanager's default (UTF-8) mode: `gpu.temp` and `9rack` are names. Alertmanager's
 * parser would also build a matcher on the empty name (`""="x"`); Kiln refuses it, as Alertmanager's own API refuses it
 * in a silence: no alert has a label without a name, so such a matcher could only ever match nothing (or everything).
 */
export class Matcher {
  private readonly regex: LabelRegex | undefined;

  constructor(
    readonly name: string,
    readonly type: MatchType,
    readonly value: string,
  ) {
    if (name === '' || !isWellFormed(name)) throw new MatcherSyntaxError(`invalid label name ${JSON.stringify(name)}`);
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

  /**
   * The notation Alertmanager prints (labels.Matcher.String), which its parsers read back to the same matcher:
   * `name="value"` with only `\`, newline and `"` escaped; a name that needs quoting (`"gpu temp"="hot"`) has name and
   * value quoted as Go quotes strings.
   */
  toString(): string {
    if ([...this.name].some((c) => isReserved(c.codePointAt(0) as number)))
      return `${goQuote(this.name)}${this.type}${goQuote(this.value)}`;
    return `${this.name}${this.type}"${openMetricsEscape(this.value)}"`;
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
