/**
 * A tokenizer for SQL text, just precise enough to judge a statement the way ClickHouse's own lexer would: it knows
 * where strings, quoted identifiers and comments begin and end, so a keyword or a `;` inside them is not mistaken for
 * code, and code is never mistaken for a string. Where ClickHouse's lexing could be read two ways, it refuses
 * (SqlLexError) rather than guess: nested block comments, heredocs (`$$`), unterminated literals.
 */

export type SqlTokenKind =
  /** A bare word: keyword, identifier, function name. */
  | 'word'
  /** A `quoted` or "quoted" identifier; `text` is its unescaped name. */
  | 'quoted'
  /** A 'string' literal; `text` is the raw literal, quotes included. */
  | 'string'
  | 'number'
  /** Any other character: ( ) , ; . * = and so on. */
  | 'symbol';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  /** Offset of the token's first character. */
  start: number;
  /** Offset just past the token. */
  end: number;
}

export class SqlLexError extends Error {}

const isWordStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordPart = (c: number): boolean => isWordStart(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Offset just past the literal that opens at `start` with `quote`: backslash escapes any character, a doubled quote
 *  is an escaped quote (both as ClickHouse reads them). */
function literalEnd(sql: string, start: number, quote: number): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 92) {
      i += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  throw new SqlLexError('unterminated quoted literal');
}

function unquoteIdentifier(raw: string): string {
  const quote = raw[0]!;
  return raw
    .slice(1, -1)
    .replace(/\\(.)/gs, '$1')
    .replaceAll(quote + quote, quote);
}

/** Tokens of `sql`, comments and whitespace left out; only the first `maxTokens` when given. */
export function tokenizeSql(sql: string, maxTokens = Infinity): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < sql.length && tokens.length < maxTokens) {
    const c = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    if (isSpace(c)) {
      i++;
    } else if ((c === 45 && next === 45) || (c === 35 && (next === 33 || next === 32))) {
      // -- comment, #! comment, '# ' comment: to the end of the line.
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (c === 47 && next === 42) {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw new SqlLexError('unterminated comment');
      if (sql.slice(i + 2, close).includes('/*')) throw new SqlLexError('nested comments are not accepted');
      i = close + 2;
    } else if (c === 36) {
      throw new SqlLexError("'$' (heredoc strings) is not accepted");
    } else if (c === 39) {
      const end = literalEnd(sql, i, c);
      tokens.push({ kind: 'string', text: sql.slice(i, end), start: i, end });
      i = end;
    } else if (c === 96 || c === 34) {
      const end = literalEnd(sql, i, c);
      tokens.push({ kind: 'quoted', text: unquoteIdentifier(sql.slice(i, end)), start: i, end });
      i = end;
    } else if (isWordStart(c)) {
      let end = i + 1;
      while (end < sql.length && isWordPart(sql.charCodeAt(end))) end++;
      tokens.push({ kind: 'word', text: sql.slice(i, end), start: i, end });
      i = end;
    } else if (isDigit(c)) {
      let end = i + 1;
      // Numbers: digits, letters (hex, exponents, suffixes), dots; the exact shape does not matter here.
      while (end < sql.length && (isWordPart(sql.charCodeAt(end)) || sql.charCodeAt(end) === 46)) end++;
      tokens.push({ kind: 'number', text: sql.slice(i, end), start: i, end });
      i = end;
    } else {
      tokens.push({ kind: 'symbol', text: sql[i]!, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

export const isWord = (token: SqlToken | undefined, word: string): boolean =>
  token !== undefined && token.kind === 'word' && token.text.toUpperCase() === word;

/** The first keyword of the statement, upper-cased, past any opening parentheses ('' when there is none). */
export function statementKeyword(tokens: readonly SqlToken[]): string {
  for (const token of tokens) {
    if (token.kind === 'symbol' && token.text === '(') continue;
    return token.kind === 'word' ? token.text.toUpperCase() : '';
  }
  return '';
}

/**
 * The output format a statement names in its FORMAT clause, if it has one: the word after the last `FORMAT` at
 * parenthesis depth 0 that is not the `format()` function. Only meaningful for statements that return rows.
 */
export function formatClause(tokens: readonly SqlToken[]): string | undefined {
  let depth = 0;
  let format: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'symbol') {
      if (token.text === '(') depth++;
      else if (token.text === ')') depth--;
    } else if (depth === 0 && isWord(token, 'FORMAT')) {
      const name = tokens[i + 1];
      if (name !== undefined && (name.kind === 'word' || name.kind === 'quoted')) format = name.text;
    }
  }
  return format;
}

/**
 * For `INSERT … FORMAT Native`, whose data is the request body (binary, so not appended to the statement as text
 * data is), the statement up to its FORMAT clause; undefined for any other statement.
 */
export function nativeInsertHead(sql: string): string | undefined {
  let tokens: SqlToken[];
  try {
    tokens = tokenizeSql(sql);
  } catch {
    return undefined;
  }
  const format = tokens[tokens.length - 2];
  const name = tokens[tokens.length - 1];
  if (
    statementKeyword(tokens) !== 'INSERT' ||
    !isWord(format, 'FORMAT') ||
    name?.kind !== 'word' ||
    name.text !== 'Native'
  )
    return undefined;
  return sql.slice(0, format!.start);
}
