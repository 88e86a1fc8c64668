import { parseClassicMatcher, parseClassicMatchers } from './classic-matcher-parser.js';
import { type Matcher, MatcherSyntaxError } from './label-matcher.js';
import { parseUtf8Matcher, parseUtf8Matchers } from './utf8-matcher-parser.js';

export { Matcher, MatcherSyntaxError, matchesAll, type MatchType } from './label-matcher.js';

/*
 * Which syntax Kiln reads: Alertmanager's default, its "fallback" mode (matcher/compat). Alertmanager has two parsers,
 * the classic one (tolerant, Prometheus label names, amtool's `foo=~bar.*` and `"\d+"`) and the UTF-8 one (strict,
 * any name, Go string escapes). Its default runs both on every input and answers with the classic parser's reading
 * wherever the classic parser accepts the input (even where the UTF-8 parser reads it differently, as `"\t"`: a
 * backslash and a t to the one, a tab to the other), with the UTF-8 parser's reading where only that one accepts it
 * (`"gpu temp"="hot"`, `🙂=x`, `9rack=x`), and with the classic parser's error where neither does. Kiln does the
 * same, so a route, an inhibition, a silence or a filter written for an Alertmanager means the same in Kiln. (The
 * classic-only and UTF-8-only modes are both subsets of this.)
 */

/**
 * Parses a list of matchers, as an Alertmanager configuration line or `amtool` query is read:
 * `{alertname="GpuHot", rack=~"r00.*"}`, `alertname=GpuHot,rack=r0042`, `{}` (none).
 */
export function parseMatchers(text: string): Matcher[] {
  return classicOrUtf8(text, parseClassicMatchers, parseUtf8Matchers);
}

/**
 * Parses exactly one matcher, as Alertmanager reads an API `filter` or an amtool argument: `severity="critical"`,
 * `rack != r0042`, `host=~"r\d+-t07"`. Braces are refused here, as Alertmanager refuses them: `{a=b}` is a list.
 */
export function parseMatcher(text: string): Matcher {
  if (text.startsWith('{') || text.endsWith('}'))
    throw new MatcherSyntaxError(`unexpected open or close brace: ${text}`);
  return classicOrUtf8(text, parseClassicMatcher, parseUtf8Matcher);
}

function classicOrUtf8<T>(text: string, classic: (text: string) => T, utf8: (text: string) => T): T {
  try {
    return classic(text);
  } catch (classicError) {
    try {
      return utf8(text);
    } catch {
      throw classicError;
    }
  }
}
