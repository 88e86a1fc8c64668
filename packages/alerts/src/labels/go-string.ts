/**
 * The pieces of Go's string handling that Alertmanager's matcher syntax is defined by: which characters are space
 * (unicode.IsSpace), how a double-quoted value is read (strconv.Unquote) and how a name or value is printed
 * (strconv.Quote, and the OpenMetrics escaping of labels.Matcher.String). Kiln reproduces them so that a matcher
 * means in Kiln what it means in Alertmanager, byte for byte.
 */

/** unicode.IsSpace: Unicode's White_Space property (so U+0085 is space and U+FEFF is not, unlike JavaScript's \s). */
export function isGoSpace(codePoint: number): boolean {
  return WHITE_SPACE.test(String.fromCodePoint(codePoint));
}

/** strings.TrimSpace: trims unicode.IsSpace characters from both ends. */
export function goTrimSpace(s: string): string {
  return s.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '');
}

/** Whether the string is valid UTF-8 once encoded: JavaScript strings can hold lone surrogates, Go's cannot. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * strconv.Unquote for a double-quoted Go string literal, then a check that the bytes are UTF-8. Returns undefined
 * where Go returns an error: a literal newline, an unknown escape (`"\d"`, `"\'"`), an escape that names invalid
 * UTF-8 (`"\xf0\x9f"`: half an emoji). `\x` and octal escapes name bytes, `\u` and `\U` name code points, so
 * `"\xf0\x9f\x99\x82"` and `"\U0001f642"` both read as 🙂.
 */
export function goUnquote(quoted: string): string | undefined {
  if (quoted.length < 2 || !quoted.startsWith('"') || !quoted.endsWith('"')) return undefined;
  const body = quoted.slice(1, -1);
  if (body.includes('\n')) return undefined;
  const bytes: number[] = [];
  const pushCodePoint = (cp: number): void => {
    for (const b of UTF8.encode(String.fromCodePoint(cp))) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const cp = body.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    if (cp === QUOTE) return undefined;
    if (cp !== BACKSLASH) {
      pushCodePoint(cp);
      i += width;
      continue;
    }
    const esc = body[i + 1];
    if (esc === undefined) return undefined;
    i += 2;
    const simple = SIMPLE_ESCAPES.get(esc);
    if (simple !== undefined) {
      bytes.push(simple);
      continue;
    }
    const hexDigits = esc === 'x' ? 2 : esc === 'u' ? 4 : esc === 'U' ? 8 : 0;
    if (hexDigits > 0) {
      const hex = body.slice(i, i + hexDigits);
      if (!new RegExp(`^[0-9a-fA-F]{${hexDigits}}$`).test(hex)) return undefined;
      i += hexDigits;
      const v = parseInt(hex, 16);
      if (esc === 'x')
        bytes.push(v); // a byte, not a code point
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else pushCodePoint(v);
      continue;
    }
    if (esc >= '0' && esc <= '7') {
      const octal = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(octal)) return undefined;
      const v = parseInt(octal, 8);
      if (v > 255) return undefined;
      i += 2;
      bytes.push(v); // a byte
      continue;
    }
    return undefined; // \' and every other escape are refused inside double quotes
  }
  try {
    return STRICT_UTF8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

/** strconv.Quote: double-quoted, with Go escapes for `"`, `\` and every character that is not printable. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else out += goEscape(cp);
  }
  return `${out}"`;
}

/** The escaping labels.Matcher.String applies to a value it prints in quotes: only `\`, newline and `"`. */
export function openMetricsEscape(s: string): string {
  return s.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function goEscape(cp: number): string {
  const named = NAMED_ESCAPES.get(cp);
  if (named !== undefined) return named;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd'; // a lone surrogate is invalid UTF-8: Go prints U+FFFD
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, '0');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const WHITE_SPACE = /^\p{White_Space}$/u;
const LEADING_SPACE = /^\p{White_Space}+/u;
const TRAILING_SPACE = /\p{White_Space}+$/u;
const LONE_SURROGATE = /\p{Surrogate}/u;
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SIMPLE_ESCAPES = new Map<string, number>([
  ['a', 0x07],
  ['b', 0x08],
  ['f', 0x0c],
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
  ['v', 0x0b],
  ['\\', 0x5c],
  ['"', 0x22],
]);
const NAMED_ESCAPES = new Map<number, string>([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
]);
