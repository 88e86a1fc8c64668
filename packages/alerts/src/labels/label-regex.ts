import { RE2JS } from 're2js';

/**
 * A label-value regular expression as Alertmanager compiles one: RE2 syntax and semantics (Go's regexp, whose `.`
 * matches no newline unless the pattern sets `(?s)`), anchored to the whole value. RE2 matches in time linear in the
 * value, whatever the pattern: a pattern like `(.*.*)*X` that makes a backtracking engine (JavaScript's RegExp) run
 * for ever costs what any other does, so no matcher in a route, an inhibition, a silence or an API filter can stall
 * the process. RE2's syntax is Go's: `(?i)` and POSIX classes such as `[[:alpha:]]` work, lookaround and
 * backreferences are refused.
 */
export class LabelRegex {
  private readonly re: RE2JS;

  /** Throws LabelRegexSyntaxError, with RE2's message, for a pattern RE2 refuses. */
  constructor(readonly source: string) {
    try {
      this.re = RE2JS.compile(`^(?:${source})$`);
    } catch (err) {
      throw new LabelRegexSyntaxError(
        `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`,
      );
    }
  }

  test(value: string): boolean {
    return this.re.matches(value);
  }
}

export class LabelRegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelRegexSyntaxError';
  }
}
