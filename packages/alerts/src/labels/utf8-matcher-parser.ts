import { goUnquote } from './go-string.js';
import { Matcher, MatcherSyntaxError, type MatchType } from './label-matcher.js';
import { END_OF_INPUT, MatcherLexer, ParseError, type Token, type TokenKind } from './matcher-lexer.js';

/**
 * Alertmanager's UTF-8 matcher parser (matcher/parse/parse.go), the one its `utf8-strict-mode` uses alone and its
 * default mode tries second (see matcher.ts). The grammar is strict: an optional `{`…`}` around matchers separated by
 * commas (one trailing comma allowed); a name and a value are each either unquoted (any run of characters but space
 * and `{}!=~,\"'\``) or double-quoted with Go's escapes (`"\\d+"`, `"\U0001f642"`, but not `"\d+"`). So names may be
 * any text (`"gpu temp"`, `🙂`), and a value with a space, a comma or a backslash must be quoted.
 *
 * Like Alertmanager's, it is a small state machine: each state reads what it expects and names the next state.
 */
export function parseUtf8Matchers(input: string): Matcher[] {
  const result = new Utf8MatcherParser(input).parse();
  if (result instanceof ParseError) throw new MatcherSyntaxError(result.message);
  return result;
}

/** One matcher in the UTF-8 syntax: exactly one, braces allowed. */
export function parseUtf8Matcher(input: string): Matcher {
  const matchers = parseUtf8Matchers(input);
  const [only] = matchers;
  if (only === undefined) throw new MatcherSyntaxError('no matchers');
  if (matchers.length > 1) throw new MatcherSyntaxError(`expected 1 matcher, found ${matchers.length}`);
  return only;
}

type State = (lexer: MatcherLexer) => State | ParseError | undefined;

const EXPECTED = {
  eof: 'expected end of input',
  openBrace: 'expected opening brace',
  closeBrace: 'expected close brace',
  labelName: 'expected label name',
  labelValue: 'expected label value',
  operator: "expected an operator such as '=', '!=', '=~' or '!~'",
  comma: 'expected a comma',
  commaOrCloseBrace: 'expected a comma or close brace',
  matcherOrCloseBrace: 'expected a matcher or close brace after comma',
} as const;

const OPERATORS: readonly TokenKind[] = ['=', '!=', '=~', '!~'];

class Utf8MatcherParser {
  private readonly matchers: Matcher[] = [];
  /** Whether the input opened with a brace, and so must close with one. */
  private hasOpenBrace = false;
  private readonly lexer: MatcherLexer;

  constructor(input: string) {
    this.lexer = new MatcherLexer(input);
  }

  parse(): Matcher[] | ParseError {
    let state: State | ParseError | undefined = this.parseOpenBrace;
    while (typeof state === 'function') state = state.call(this, this.lexer);
    return state instanceof ParseError ? state : this.matchers;
  }

  private parseOpenBrace(l: MatcherLexer): State | ParseError {
    const open = this.accept(l, '{');
    if (open instanceof ParseError) return open.endOfInput ? this.parseEOF : open;
    this.hasOpenBrace = open;
    // `{}`: no matchers. `{` alone: let parseCloseBrace say the brace is not closed.
    const close = this.acceptPeek(l, '}');
    if (close instanceof ParseError) return close.endOfInput ? this.parseCloseBrace : close;
    return close ? this.parseCloseBrace : this.parseMatcher;
  }

  private parseCloseBrace(l: MatcherLexer): State | ParseError {
    const close = this.expect(l, '}');
    if (this.hasOpenBrace) {
      if (close instanceof ParseError)
        return new ParseError(`0:${l.position().columnEnd}: ${close.message}: ${EXPECTED.closeBrace}`);
    } else if (!(close instanceof ParseError)) {
      return new ParseError(`0:${l.position().columnEnd}: }: ${EXPECTED.openBrace}`);
    }
    return this.parseEOF;
  }

  private parseMatcher(l: MatcherLexer): State | ParseError {
    const nameToken = this.expect(l, 'quoted', 'unquoted');
    if (nameToken instanceof ParseError) return nameToken.wrap(EXPECTED.labelName);
    const name = unquote(nameToken);
    if (name instanceof ParseError) return name;
    const op = this.expect(l, ...OPERATORS);
    if (op instanceof ParseError) return op.wrap(EXPECTED.operator);
    const valueToken = this.expect(l, 'unquoted', 'quoted');
    if (valueToken instanceof ParseError) return valueToken.wrap(EXPECTED.labelValue);
    const value = unquote(valueToken);
    if (value instanceof ParseError) return value;
    try {
      this.matchers.push(new Matcher(name, op.kind as MatchType, value));
    } catch (err) {
      return new ParseError(`failed to create matcher: ${(err as Error).message}`);
    }
    return this.parseEndOfMatcher;
  }

  private parseEndOfMatcher(l: MatcherLexer): State | ParseError {
    const next = this.expectPeek(l, ',', '}');
    // At the end of the input, the brace (if one opened) must still be closed.
    if (next instanceof ParseError)
      return next.endOfInput ? this.parseCloseBrace : next.wrap(EXPECTED.commaOrCloseBrace);
    return next.kind === ',' ? this.parseComma : this.parseCloseBrace;
  }

  private parseComma(l: MatcherLexer): State | ParseError {
    const comma = this.expect(l, ',');
    if (comma instanceof ParseError) return comma.wrap(EXPECTED.comma);
    // After a comma: another matcher, the close brace, or the end of the input (a trailing comma).
    const next = this.expectPeek(l, '}', 'unquoted', 'quoted');
    if (next instanceof ParseError)
      return next.endOfInput ? this.parseCloseBrace : next.wrap(EXPECTED.matcherOrCloseBrace);
    return next.kind === '}' ? this.parseCloseBrace : this.parseMatcher;
  }

  private parseEOF(l: MatcherLexer): undefined | ParseError {
    const t = l.scan();
    if (t instanceof ParseError) return t.wrap(EXPECTED.eof);
    if (t.kind !== 'eof') return new ParseError(`${t.columnStart}:${t.columnEnd}: ${t.value}: ${EXPECTED.eof}`);
    return undefined;
  }

  /** Consumes the next token if it is one of kinds; END_OF_INPUT at the end. */
  private accept(l: MatcherLexer, ...kinds: TokenKind[]): boolean | ParseError {
    const ok = this.acceptPeek(l, ...kinds);
    if (ok === true) l.scan();
    return ok;
  }

  private acceptPeek(l: MatcherLexer, ...kinds: TokenKind[]): boolean | ParseError {
    const t = l.peek();
    if (t instanceof ParseError) return t;
    if (t.kind === 'eof') return END_OF_INPUT;
    return kinds.includes(t.kind);
  }

  /** Consumes and returns the next token if it is one of kinds, or says what came instead. */
  private expect(l: MatcherLexer, ...kinds: TokenKind[]): Token | ParseError {
    const t = this.expectPeek(l, ...kinds);
    if (!(t instanceof ParseError)) l.scan();
    return t;
  }

  private expectPeek(l: MatcherLexer, ...kinds: TokenKind[]): Token | ParseError {
    const t = l.peek();
    if (t instanceof ParseError) return t;
    if (t.kind === 'eof') return END_OF_INPUT;
    if (!kinds.includes(t.kind)) return new ParseError(`${t.columnStart}:${t.columnEnd}: unexpected ${t.value}`);
    return t;
  }
}

/** A token's text: as written if unquoted, read as a Go string literal if quoted. */
function unquote(t: Token): string | ParseError {
  if (t.kind !== 'quoted') return t.value;
  return goUnquote(t.value) ?? new ParseError(`${t.columnStart}:${t.columnEnd}: ${t.value}: invalid input`);
}
