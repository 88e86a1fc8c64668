import { isGoSpace } from './go-string.js';

/**
 * The lexer of Alertmanager's UTF-8 matcher syntax (matcher/parse/lexer.go): it cuts `{foo="bar", baz=~qux}` into
 * braces, commas, the four operators, double-quoted strings and unquoted runs of anything but the reserved characters.
 * Positions are counted the way Alertmanager counts them, in code points from the start of the input, so that an
 * error such as `6:11: unexpected "bar": expected a comma or close brace` reads the same in Kiln.
 */

export type TokenKind = 'eof' | '{' | '}' | ',' | '=' | '!=' | '=~' | '!~' | 'quoted' | 'unquoted';

export interface Position {
  /** Offsets into the input, in UTF-16 code units (for slicing). */
  readonly offsetStart: number;
  readonly offsetEnd: number;
  /** Columns, in code points (for messages, as Alertmanager counts runes). */
  readonly columnStart: number;
  readonly columnEnd: number;
}

export interface Token extends Position {
  readonly kind: TokenKind;
  /** The token's text as written, quotes and escapes included. */
  readonly value: string;
}

/**
 * An error of the lexer or the parser, as a value: the parser adds what it expected to the lexer's message
 * (`<lexer error>: expected label name`), and needs to tell the end of input from other errors.
 */
export class ParseError {
  constructor(
    readonly message: string,
    readonly endOfInput = false,
  ) {}

  /** `message: context`, keeping whether it is the end of input. */
  wrap(context: string): ParseError {
    return new ParseError(`${this.message}: ${context}`, this.endOfInput);
  }
}

export const END_OF_INPUT = new ParseError('end of input', true);

export const EOF_TOKEN: Token = { kind: 'eof', value: '', offsetStart: 0, offsetEnd: 0, columnStart: 0, columnEnd: 0 };

/** Space, the characters of the syntax, and the quotes and backslash: none may appear in an unquoted name or value. */
export function isReserved(codePoint: number): boolean {
  return isGoSpace(codePoint) || RESERVED.has(codePoint);
}

export class MatcherLexer {
  /** Once the input is found invalid, every later scan returns the same error. */
  private err: ParseError | undefined;
  private start = 0;
  private pos = 0;
  private width = 0;
  private column = 0;
  private cols = 0;

  constructor(private readonly input: string) {}

  /** The next token (EOF_TOKEN once the input is consumed), or why the input does not fit the grammar. */
  scan(): Token | ParseError {
    if (this.err) return this.err;
    for (let r = this.next(); r !== EOF; r = this.next()) {
      if (r === OPEN_BRACE) return this.emit('{');
      if (r === CLOSE_BRACE) return this.emit('}');
      if (r === COMMA) return this.emit(',');
      if (r === EQUALS || r === BANG) {
        this.rewind();
        return this.fail(this.scanOperator());
      }
      if (r === DOUBLE_QUOTE) {
        this.rewind();
        return this.fail(this.scanQuoted());
      }
      if (!isReserved(r)) {
        this.rewind();
        return this.scanUnquoted();
      }
      if (isGoSpace(r)) this.skip();
      else
        return this.fail(
          new ParseError(`${this.position().columnStart}:${this.position().columnEnd}: ${this.text()}: invalid input`),
        );
    }
    return EOF_TOKEN;
  }

  /** The next token without consuming it. */
  peek(): Token | ParseError {
    const { start, pos, width, column, cols } = this;
    try {
      return this.scan();
    } finally {
      this.start = start;
      this.pos = pos;
      this.width = width;
      this.column = column;
      this.cols = cols;
    }
  }

  /** Where the last emitted token ends (the cursor, between tokens). */
  position(): Position {
    return { offsetStart: this.start, offsetEnd: this.pos, columnStart: this.column, columnEnd: this.cols };
  }

  private scanOperator(): Token | ParseError {
    // '!' must be followed by '=' or '~'; '=' may be followed by '~'.
    if (this.accept('!')) {
      if (this.accept('=')) return this.emit('!=');
      if (this.accept('~')) return this.emit('!~');
      return this.expectedError('=~');
    }
    if (this.accept('=')) {
      if (this.accept('~')) return this.emit('=~');
      return this.emit('=');
    }
    return this.expectedError('!=');
  }

  private scanQuoted(): Token | ParseError {
    const opening = this.expect('"');
    if (opening) return opening;
    let escaped = false;
    for (let r = this.next(); r !== EOF; r = this.next()) {
      if (escaped) escaped = false;
      else if (r === BACKSLASH) escaped = true;
      else if (r === DOUBLE_QUOTE) {
        this.rewind();
        break;
      }
    }
    if (this.expect('"'))
      return new ParseError(
        `${this.position().columnStart}:${this.position().columnEnd}: ${this.text()}: missing end "`,
      );
    return this.emit('quoted');
  }

  private scanUnquoted(): Token {
    for (let r = this.next(); r !== EOF; r = this.next()) {
      if (isReserved(r)) {
        this.rewind();
        break;
      }
    }
    return this.emit('unquoted');
  }

  private fail(result: Token | ParseError): Token | ParseError {
    if (result instanceof ParseError) this.err = result;
    return result;
  }

  private accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) return true;
    this.rewind();
    return false;
  }

  private expect(valid: string): ParseError | undefined {
    return this.accept(valid) ? undefined : this.expectedError(valid);
  }

  private expectedError(expected: string): ParseError {
    const { columnStart, columnEnd, offsetEnd } = this.position();
    if (offsetEnd >= this.input.length)
      return new ParseError(`${columnStart}:${columnEnd}: unexpected end of input, expected one of '${expected}'`);
    return new ParseError(`${columnStart}:${columnEnd}: ${this.text()}: expected one of '${expected}'`);
  }

  private text(): string {
    return this.input.slice(this.start, this.pos);
  }

  private emit(kind: TokenKind): Token {
    const token: Token = { kind, value: this.text(), ...this.position() };
    this.start = this.pos;
    this.column = this.cols;
    return token;
  }

  private next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos) as number;
    this.width = r > 0xffff ? 2 : 1;
    this.pos += this.width;
    this.cols++;
    return r;
  }

  /** Steps back over the last rune read; at most once between two reads. */
  private rewind(): void {
    this.pos -= this.width;
    if (this.width > 0) this.cols--;
  }

  private skip(): void {
    this.start = this.pos;
    this.column = this.cols;
  }
}

const EOF = -1;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BANG = 0x21;
const DOUBLE_QUOTE = 0x22;
const BACKSLASH = 0x5c;
const RESERVED = new Set([...'{}!=~,\\"\'`'].map((c) => c.codePointAt(0) as number));
