/*
 * Alertmanager's own matcher test cases, as data, run against Kiln's parsers.
 *
 * Source: github.com/prometheus/alertmanager at commit 68fb2d5759b3a92c0bb2a1a13d4ef7ff5b06256d (v0.34.0-20-g68fb2d575):
 *   - matcher/parse/parse_test.go  (TestMatchers, TestMatcher)                      the UTF-8 parser
 *   - pkg/labels/parse_test.go     (TestMatchers)                                   the classic parser
 *   - matcher/compat/parse_test.go (TestFallbackMatcherParser, TestFallbackMatchersParser) the default "fallback" mode
 * Only the cases are taken (input, expected matchers, expected error), transcribed from Go string literals.
 *
 * Kiln's parseMatcher/parseMatchers are Alertmanager's default mode (see src/labels/matcher.ts): the classic reading
 * where the classic parser accepts the input, else the UTF-8 reading, else the classic error. Each parser is checked
 * against its own file's cases, and parseMatchers against every case whose fallback outcome those cases decide.
 *
 * Where Kiln differs, the case is listed in DIFFERENCES below with the reason; no case is dropped. The UTF-8 parser's
 * error messages are Alertmanager's, column for column. The classic parser refuses the same inputs as Alertmanager's
 * but words two of its errors in Kiln's way (kilnWording below); regular expression errors are RE2's own message.
 */
import { describe, expect, it } from 'vitest';
import { type Matcher, type MatchType, parseMatcher, parseMatchers } from '../src/index.js';
import { parseClassicMatchers } from '../src/labels/classic-matcher-parser.js';
import { parseUtf8Matcher, parseUtf8Matchers } from '../src/labels/utf8-matcher-parser.js';

type Expected = readonly (readonly [name: string, type: MatchType, value: string])[];

/** A case: the input and either the matchers Alertmanager builds or the error it returns. */
type Case = { readonly input: string } & ({ readonly want: Expected } | { readonly error: string });

const eq = (name: string, value: string) => [name, '=', value] as const;
const ne = (name: string, value: string) => [name, '!=', value] as const;
const re = (name: string, value: string) => [name, '=~', value] as const;
const nre = (name: string, value: string) => [name, '!~', value] as const;

/** matcher/parse/parse_test.go, TestMatchers: parse.Matchers(input). */
const UTF8_MATCHERS: readonly Case[] = [
  { input: '', want: [] },
  { input: '{}', want: [] },
  { input: '{foo=bar}', want: [eq('foo', 'bar')] },
  { input: '{foo=bar,}', want: [eq('foo', 'bar')] },
  { input: '{foo!=bar}', want: [ne('foo', 'bar')] },
  { input: '{foo=~[a-z]+}', want: [re('foo', '[a-z]+')] },
  { input: '{foo!~[a-z]+}', want: [nre('foo', '[a-z]+')] },
  { input: '{foo=🙂}', want: [eq('foo', '🙂')] },
  { input: '{foo=🙂bar}', want: [eq('foo', '🙂bar')] },
  { input: 'foo=bar', want: [eq('foo', 'bar')] },
  { input: 'foo=bar,', want: [eq('foo', 'bar')] },
  { input: 'foo!=bar', want: [ne('foo', 'bar')] },
  { input: 'foo=~[a-z]+', want: [re('foo', '[a-z]+')] },
  { input: 'foo!~[a-z]+', want: [nre('foo', '[a-z]+')] },
  { input: '{"foo"="bar"}', want: [eq('foo', 'bar')] },
  { input: '{"foo"="bar",}', want: [eq('foo', 'bar')] },
  { input: '{"foo"!="bar"}', want: [ne('foo', 'bar')] },
  { input: '{"foo"=~"[a-z]+"}', want: [re('foo', '[a-z]+')] },
  { input: '{"foo"=~"\\\\d+"}', want: [re('foo', '\\d+')] },
  { input: '{"foo"!~"[a-z]+"}', want: [nre('foo', '[a-z]+')] },
  { input: '{"foo"="🙂"}', want: [eq('foo', '🙂')] },
  { input: '{"foo"="\\xf0\\x9f\\x99\\x82"}', want: [eq('foo', '🙂')] },
  { input: '{"foo"="\\U0001f642"}', want: [eq('foo', '🙂')] },
  { input: '{"foo"="🙂bar"}', want: [eq('foo', '🙂bar')] },
  { input: '{"foo"="bar\\n"}', want: [eq('foo', 'bar\n')] },
  { input: '{"foo"="bar\\t"}', want: [eq('foo', 'bar\t')] },
  { input: '{"foo"="\\"bar\\""}', want: [eq('foo', '"bar"')] },
  { input: '{"foo"="bar\\\\"}', want: [eq('foo', 'bar\\')] },
  { input: '"foo"="bar"', want: [eq('foo', 'bar')] },
  { input: '"foo"="bar",', want: [eq('foo', 'bar')] },
  { input: '{foo=bar,bar!=baz}', want: [eq('foo', 'bar'), ne('bar', 'baz')] },
  { input: '{foo="bar",bar!="baz"}', want: [eq('foo', 'bar'), ne('bar', 'baz')] },
  { input: 'foo=bar,bar!=baz', want: [eq('foo', 'bar'), ne('bar', 'baz')] },
  { input: 'foo="bar",bar!="baz"', want: [eq('foo', 'bar'), ne('bar', 'baz')] },
  { input: ',', error: '0:1: unexpected ,: expected label name' },
  { input: '{,}', error: '1:2: unexpected ,: expected label name' },
  { input: '{', error: '0:1: end of input: expected close brace' },
  { input: '}', error: '0:1: }: expected opening brace' },
  { input: 'foo=bar}', error: '0:8: }: expected opening brace' },
  { input: '{foo=bar', error: '0:8: end of input: expected close brace' },
  { input: '{foo=:"bar"}', error: '6:11: unexpected "bar": expected a comma or close brace' },
  { input: '{foo="bar\\w"}', error: '5:12: "bar\\w": invalid input' },
  { input: '{"foo"=~"\\d+"}', error: '8:13: "\\d+": invalid input' },
  { input: '{foo=bar\\n}', error: '8:9: \\: invalid input: expected a comma or close brace' },
  { input: '{"foo"="\\xf0\\x9f"}', error: '7:17: "\\xf0\\x9f": invalid input' },
];

/** matcher/parse/parse_test.go, TestMatcher: parse.Matcher(input), exactly one matcher. */
const UTF8_MATCHER: readonly Case[] = [
  { input: '{foo=bar}', want: [eq('foo', 'bar')] },
  { input: '{foo=bar,}', want: [eq('foo', 'bar')] },
  { input: '{foo!=bar}', want: [ne('foo', 'bar')] },
  { input: '{foo=~[a-z]+}', want: [re('foo', '[a-z]+')] },
  { input: '{foo!~[a-z]+}', want: [nre('foo', '[a-z]+')] },
  { input: '{foo=🙂}', want: [eq('foo', '🙂')] },
  { input: '{"foo"="\\xf0\\x9f\\x99\\x82"}', want: [eq('foo', '🙂')] },
  { input: '{"foo"="\\U0001f642"}', want: [eq('foo', '🙂')] },
  { input: '{foo=🙂bar}', want: [eq('foo', '🙂bar')] },
  { input: 'foo=bar', want: [eq('foo', 'bar')] },
  { input: 'foo=bar,', want: [eq('foo', 'bar')] },
  { input: 'foo!=bar', want: [ne('foo', 'bar')] },
  { input: 'foo=~[a-z]+', want: [re('foo', '[a-z]+')] },
  { input: 'foo!~[a-z]+', want: [nre('foo', '[a-z]+')] },
  { input: '{"foo"="bar"}', want: [eq('foo', 'bar')] },
  { input: '{"foo"="bar",}', want: [eq('foo', 'bar')] },
  { input: '{"foo"!="bar"}', want: [ne('foo', 'bar')] },
  { input: '{"foo"=~"[a-z]+"}', want: [re('foo', '[a-z]+')] },
  { input: '{"foo"!~"[a-z]+"}', want: [nre('foo', '[a-z]+')] },
  { input: '{"foo"="🙂"}', want: [eq('foo', '🙂')] },
  { input: '{"foo"="🙂bar"}', want: [eq('foo', '🙂bar')] },
  { input: '{"foo"="bar\\n"}', want: [eq('foo', 'bar\n')] },
  { input: '{"foo"="bar\\t"}', want: [eq('foo', 'bar\t')] },
  { input: '{"foo"="\\"bar\\""}', want: [eq('foo', '"bar"')] },
  { input: '{"foo"="bar\\\\"}', want: [eq('foo', 'bar\\')] },
  { input: '"foo"="bar"', want: [eq('foo', 'bar')] },
  { input: '"foo"="bar",', want: [eq('foo', 'bar')] },
  { input: '', error: 'no matchers' },
  { input: '{}', error: 'no matchers' },
  { input: 'foo=bar,bar=baz', error: 'expected 1 matcher, found 2' },
  { input: 'foo="\\xf0\\x9f"', error: '4:14: "\\xf0\\x9f": invalid input' },
];

/** pkg/labels/parse_test.go, TestMatchers: labels.ParseMatchers(input). Inputs in String.raw are Go raw strings. */
const CLASSIC_MATCHERS: readonly Case[] = [
  { input: '{}', want: [] },
  { input: ',', error: 'bad matcher format: ' },
  { input: '{,}', error: 'bad matcher format: ' },
  { input: "{foo='}", want: [eq('foo', "'")] },
  { input: '{foo=`}', want: [eq('foo', '`')] },
  { input: '{foo=\\"}', want: [eq('foo', '"')] },
  { input: '{foo=bar}', want: [eq('foo', 'bar')] },
  { input: '{foo="bar"}', want: [eq('foo', 'bar')] },
  { input: '{foo=~bar.*}', want: [re('foo', 'bar.*')] },
  { input: '{foo=~"bar.*"}', want: [re('foo', 'bar.*')] },
  { input: '{foo!=bar}', want: [ne('foo', 'bar')] },
  { input: '{foo!="bar"}', want: [ne('foo', 'bar')] },
  { input: '{foo!~bar.*}', want: [nre('foo', 'bar.*')] },
  { input: '{foo!~"bar.*"}', want: [nre('foo', 'bar.*')] },
  { input: '{foo="bar", baz!="quux"}', want: [eq('foo', 'bar'), ne('baz', 'quux')] },
  { input: '{foo="bar", baz!~"quux.*"}', want: [eq('foo', 'bar'), nre('baz', 'quux.*')] },
  { input: '{foo="bar",baz!~".*quux", derp="wat"}', want: [eq('foo', 'bar'), nre('baz', '.*quux'), eq('derp', 'wat')] },
  { input: '{foo="bar", baz!="quux", derp="wat"}', want: [eq('foo', 'bar'), ne('baz', 'quux'), eq('derp', 'wat')] },
  {
    input: '{foo="bar", baz!~".*quux.*", derp="wat"}',
    want: [eq('foo', 'bar'), nre('baz', '.*quux.*'), eq('derp', 'wat')],
  },
  { input: '{foo="bar", instance=~"some-api.*"}', want: [eq('foo', 'bar'), re('instance', 'some-api.*')] },
  { input: '{foo=""}', want: [eq('foo', '')] },
  { input: '{foo="bar,quux", job="job1"}', want: [eq('foo', 'bar,quux'), eq('job', 'job1')] },
  { input: '{foo = "bar", dings != "bums", }', want: [eq('foo', 'bar'), ne('dings', 'bums')] },
  { input: 'foo=bar,dings!=bums', want: [eq('foo', 'bar'), ne('dings', 'bums')] },
  {
    input: String.raw`{quote="She said: \"Hi, ladies! That's gender-neutral…\""}`,
    want: [eq('quote', `She said: "Hi, ladies! That's gender-neutral…"`)],
  },
  { input: 'statuscode=~"5.."', want: [re('statuscode', '5..')] },
  { input: 'tricky=~~~', want: [re('tricky', '~~')] },
  { input: String.raw`trickier==\\=\=\"`, want: [eq('trickier', String.raw`=\=\="`)] },
  {
    input: String.raw`contains_quote != "\"" , contains_comma !~ "foo,bar" , `,
    want: [ne('contains_quote', '"'), nre('contains_comma', 'foo,bar')],
  },
  { input: '{foo=bar}}', want: [eq('foo', 'bar}')] },
  { input: '{foo=bar}},}', want: [eq('foo', 'bar}}')] },
  { input: '{foo=,bar=}}', want: [eq('foo', ''), eq('bar', '}')] },
  { input: String.raw`{foo=bar\t}`, want: [eq('foo', 'bar\\t')] },
  { input: String.raw`{foo=bar\n}`, want: [eq('foo', 'bar\n')] },
  { input: String.raw`{foo=bar\}`, want: [eq('foo', 'bar\\')] },
  { input: String.raw`{foo=bar\\}`, want: [eq('foo', 'bar\\')] },
  { input: String.raw`{foo=bar\"}`, want: [eq('foo', 'bar"')] },
  { input: 'job=', want: [eq('job', '')] },
  { input: 'job="value', error: 'matcher value contains unescaped double quote: "value' },
  { input: 'job=value"', error: 'matcher value contains unescaped double quote: value"' },
  {
    input: String.raw`trickier==\\=\=\""`,
    error: String.raw`matcher value contains unescaped double quote: =\\=\=\""`,
  },
  { input: 'contains_unescaped_quote = foo"bar', error: 'matcher value contains unescaped double quote: foo"bar' },
  { input: '{invalid-name = "valid label"}', error: 'bad matcher format: invalid-name = "valid label"' },
  { input: '{foo=~"invalid[regexp"}', error: 'error parsing regexp: missing closing ]: `[regexp)$`' },
  // Double escaped strings.
  { input: String.raw`"{foo=\"bar"}`, error: String.raw`bad matcher format: "{foo=\"bar"` },
  { input: String.raw`"foo=\"bar"`, error: String.raw`bad matcher format: "foo=\"bar"` },
  { input: String.raw`"foo=\"bar\""`, error: String.raw`bad matcher format: "foo=\"bar\""` },
  { input: String.raw`"foo=\"bar\"`, error: String.raw`bad matcher format: "foo=\"bar\"` },
  { input: String.raw`"{foo=\"bar\"}"`, error: String.raw`bad matcher format: "{foo=\"bar\"}"` },
  { input: '"foo="bar""', error: 'bad matcher format: "foo="bar""' },
  { input: '{{foo=', error: 'bad matcher format: {foo=' },
  { input: '{foo=', want: [eq('foo', '')] },
  { input: '{foo=}b', want: [eq('foo', '}b')] },
];

/** matcher/compat/parse_test.go, TestFallbackMatcherParser: compat.FallbackMatcherParser, i.e. Kiln's parseMatcher. */
const FALLBACK_MATCHER: readonly Case[] = [
  { input: 'foo=bar', want: [eq('foo', 'bar')] },
  { input: 'foo!bar', error: 'bad matcher format: foo!bar' },
  { input: 'foo🙂=bar', want: [eq('foo🙂', 'bar')] },
  { input: 'foo=!bar\\n', want: [eq('foo', '!bar\n')] },
  // Both parsers accept it and disagree (bytes to the UTF-8 one, backslashes to the classic one): the classic wins.
  { input: 'foo="\\xf0\\x9f\\x99\\x82"', want: [eq('foo', '\\xf0\\x9f\\x99\\x82')] },
];

/** matcher/compat/parse_test.go, TestFallbackMatchersParser: compat.FallbackMatchersParser, i.e. Kiln's parseMatchers. */
const FALLBACK_MATCHERS: readonly Case[] = [
  { input: '{foo=bar,bar=baz}', want: [eq('foo', 'bar'), eq('bar', 'baz')] },
  { input: '{foo!bar}', error: 'bad matcher format: foo!bar' },
  { input: '{foo🙂=bar,bar=baz🙂}', want: [eq('foo🙂', 'bar'), eq('bar', 'baz🙂')] },
  { input: '{foo=!bar,bar=$baz\\n}', want: [eq('foo', '!bar'), eq('bar', '$baz\n')] },
  { input: '{foo="\\xf0\\x9f\\x99\\x82"}', want: [eq('foo', '\\xf0\\x9f\\x99\\x82')] },
];

/**
 * Where Kiln deliberately differs from Alertmanager. Not taken from Alertmanager's test files (none of them has such
 * a case); listed so the difference is visible and tested.
 */
const DIFFERENCES: readonly (Case & { readonly alertmanager: string; readonly why: string })[] = [
  {
    input: '{""="x"}',
    error: 'failed to create matcher: invalid label name ""',
    alertmanager: 'its UTF-8 parser, and so its default mode, accepts it: a matcher on the empty label name',
    why: 'no alert has a label with an empty name, so the matcher could only match nothing (or, as ""="", everything); Alertmanager refuses the empty name in a silence, Kiln refuses it everywhere',
  },
];

/**
 * The classic parser refuses what Alertmanager's refuses, in Kiln's words: `bad matcher format: X` is
 * `"X": expected name="value" with one of = != =~ !~`; `matcher value contains unescaped double quote` is
 * `"<matcher>": stray quote in value` or `unterminated quoted value`; a regex error carries RE2's message unchanged.
 */
function kilnWording(alertmanagerError: string): string | RegExp {
  const badFormat = 'bad matcher format: ';
  if (alertmanagerError.startsWith(badFormat))
    return `${JSON.stringify(alertmanagerError.slice(badFormat.length))}: expected name="value" with one of = != =~ !~`;
  if (alertmanagerError.startsWith('matcher value contains unescaped double quote: '))
    return /^".*": (stray quote in value|unterminated quoted value)$/s;
  return new RegExp(`: ${alertmanagerError.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

const triples = (matchers: readonly Matcher[]) => matchers.map((m) => [m.name, m.type, m.value]);

/** Runs parse on input and checks the case: the same matchers in order, or an error with the expected message. */
function check(
  parse: (input: string) => Matcher[],
  c: Case,
  wording: (error: string) => string | RegExp = (e) => e,
): void {
  if ('want' in c) expect(triples(parse(c.input))).toEqual(c.want);
  else expect(() => parse(c.input)).toThrow(wording(c.error));
}

const label = (c: Case) =>
  `${JSON.stringify(c.input)} → ${'want' in c ? JSON.stringify(c.want) : `error ${JSON.stringify(c.error)}`}`;

describe("Alertmanager's matcher cases", () => {
  describe('matcher/parse TestMatchers (UTF-8 parser)', () => {
    it.each(UTF8_MATCHERS.map((c) => [label(c), c] as const))('%s', (_, c) => check(parseUtf8Matchers, c));
  });

  describe('matcher/parse TestMatcher (UTF-8 parser, one matcher)', () => {
    it.each(UTF8_MATCHER.map((c) => [label(c), c] as const))('%s', (_, c) =>
      check((input) => [parseUtf8Matcher(input)], c),
    );
  });

  describe('pkg/labels TestMatchers (classic parser)', () => {
    it.each(CLASSIC_MATCHERS.map((c) => [label(c), c] as const))('%s', (_, c) =>
      check(parseClassicMatchers, c, kilnWording),
    );
  });

  describe("matcher/compat TestFallbackMatcherParser (Kiln's parseMatcher)", () => {
    it.each(FALLBACK_MATCHER.map((c) => [label(c), c] as const))('%s', (_, c) =>
      check((input) => [parseMatcher(input)], c, kilnWording),
    );
  });

  describe("matcher/compat TestFallbackMatchersParser (Kiln's parseMatchers)", () => {
    it.each(FALLBACK_MATCHERS.map((c) => [label(c), c] as const))('%s', (_, c) => check(parseMatchers, c, kilnWording));
  });

  /*
   * The fallback outcome of the parser files' inputs, where their cases decide it: the classic case's matchers if it
   * accepts; if it refuses, the UTF-8 case's matchers, or the classic error if that refuses too. An input that the
   * classic file refuses and the UTF-8 file lacks is left out (what the UTF-8 parser makes of it is not an
   * Alertmanager case), as is one only in the UTF-8 file.
   */
  describe("parser files' inputs through Kiln's parseMatchers (fallback)", () => {
    const utf8 = new Map(UTF8_MATCHERS.map((c) => [c.input, c]));
    const decided: Case[] = CLASSIC_MATCHERS.flatMap((classic): Case[] => {
      if ('want' in classic) return [classic];
      const other = utf8.get(classic.input);
      if (other === undefined) return [];
      return 'want' in other ? [other] : [classic];
    });
    it.each(decided.map((c) => [label(c), c] as const))('%s', (_, c) => check(parseMatchers, c, kilnWording));
  });

  describe('where Kiln differs, and why', () => {
    it.each(DIFFERENCES.map((c) => [`${label(c)} (Alertmanager: ${c.alertmanager})`, c] as const))('%s', (_, c) => {
      check(parseUtf8Matchers, c);
      if (!('want' in c)) expect(() => parseMatchers(c.input)).toThrow();
    });
  });
});

/** amtool-style input the alerter's users write, through Kiln's public parsers (expected per Alertmanager's fallback rule). */
describe('amtool-style input', () => {
  it('reads quoted and bare values, lists with and without braces, escaped quotes', () => {
    expect(triples([parseMatcher('alertname="Foo"')])).toEqual([eq('alertname', 'Foo')]);
    expect(triples(parseMatchers('{foo=~"bar",baz!="qux"}'))).toEqual([re('foo', 'bar'), ne('baz', 'qux')]);
    expect(triples(parseMatchers('alertname=GpuHot, rack=~r00.*'))).toEqual([
      eq('alertname', 'GpuHot'),
      re('rack', 'r00.*'),
    ]);
    expect(triples([parseMatcher(String.raw`summary="say \"hi\""`)])).toEqual([eq('summary', 'say "hi"')]);
    expect(triples([parseMatcher(String.raw`host=~"r\d+-t07"`)])).toEqual([re('host', String.raw`r\d+-t07`)]);
    expect(triples([parseMatcher(String.raw`host=~"r\\d+-t07"`)])).toEqual([re('host', String.raw`r\d+-t07`)]);
  });

  it('keeps regex flags and POSIX classes for RE2', () => {
    expect(parseMatcher('severity=~"(?i)critical"').matches({ severity: 'Critical' })).toBe(true);
    expect(parseMatcher('host=~"[[:alpha:]]+"').matches({ host: 'rack' })).toBe(true);
    expect(parseMatcher('host=~[[:alpha:]]+').matches({ host: 'r0042' })).toBe(false);
  });

  it('reads names that are not Prometheus names through the UTF-8 syntax, and prints them back readable by both', () => {
    expect(triples(parseMatchers('{"gpu temp"="hot", gpu.model=B300}'))).toEqual([
      eq('gpu temp', 'hot'),
      eq('gpu.model', 'B300'),
    ]);
    // The classic file's "invalid-name" case: refused by that parser, read by the UTF-8 one, so accepted by default.
    expect(triples(parseMatchers('{invalid-name = "valid label"}'))).toEqual([eq('invalid-name', 'valid label')]);
    expect(parseMatchers('{"gpu temp"="hot\\tnow", rack="a\\nb"}').map(String)).toEqual([
      '"gpu temp"="hot\\tnow"',
      'rack="a\\nb"',
    ]);
    for (const text of ['rack="a\\"b\\\\c\\nd"', '"gpu temp"=~"h.t"', 'gpu.model!="B300"'])
      expect(parseMatcher(text).toString()).toBe(text);
  });

  it('refuses braces around a single matcher, as Alertmanager does for a filter', () => {
    expect(() => parseMatcher('{alertname="Foo"}')).toThrow('unexpected open or close brace: {alertname="Foo"}');
  });
});
