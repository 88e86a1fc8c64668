import { describe, expect, it } from 'vitest';
import { Matcher, MatcherSyntaxError, matchesAll, parseMatcher, parseMatchers } from '../src/index.js';

const gpu = { alertname: 'GpuHot', severity: 'critical', rack: 'r0042', gpu: '3' };
const rack = { alertname: 'RackCoolingFailure', severity: 'critical', rack: 'r0042' };

describe('matchers', () => {
  it('parses the four operators, quoted and bare values, and prints them back quoted', () => {
    expect(parseMatcher('severity="critical"')).toMatchObject({ name: 'severity', type: '=', value: 'critical' });
    expect(parseMatcher(' rack != r0042 ')).toMatchObject({ name: 'rack', type: '!=', value: 'r0042' });
    expect(parseMatcher('cluster=~"eus2-.*"').toString()).toBe('cluster=~"eus2-.*"');
    expect(parseMatcher('gpu!~"[0-3]"')).toMatchObject({ type: '!~', isRegex: true, isEqual: false });
    expect(parseMatcher('summary="say \\"hi\\""').value).toBe('say "hi"');
    expect(parseMatcher('host=~"r\\d+-t07"').value).toBe('r\\d+-t07');
  });

  it('anchors regular expressions and treats an absent label as empty', () => {
    expect(parseMatcher('rack=~"r00"').matches(rack)).toBe(false);
    expect(parseMatcher('rack=~"r00.*"').matches(rack)).toBe(true);
    expect(parseMatcher('gpu=~".+"').matches(gpu)).toBe(true);
    expect(parseMatcher('gpu=~".+"').matches(rack)).toBe(false);
    expect(parseMatcher('gpu=""').matches(rack)).toBe(true);
    expect(parseMatcher('gpu!=""').matches(gpu)).toBe(true);
    expect(parseMatcher('severity!~"warning|info"').matches(gpu)).toBe(true);
  });

  it('parses lists with braces and commas inside quotes, and requires all to match', () => {
    const list = parseMatchers('{alertname=~"Gpu.*", summary="a, b", rack="r0042"}');
    expect(list.map(String)).toEqual(['alertname=~"Gpu.*"', 'summary="a, b"', 'rack="r0042"']);
    expect(matchesAll(parseMatchers('alertname=GpuHot,rack=r0042'), gpu)).toBe(true);
    expect(matchesAll(parseMatchers('alertname=GpuHot,rack=r0043'), gpu)).toBe(false);
    expect(matchesAll([], gpu)).toBe(true);
  });

  it('maps the API form both ways', () => {
    const m = Matcher.fromApi({ name: 'rack', value: 'r00.*', isRegex: true, isEqual: false });
    expect(m.toString()).toBe('rack!~"r00.*"');
    expect(Matcher.fromApi({ name: 'rack', value: 'r1', isRegex: false }).type).toBe('=');
  });

  it('names what is wrong', () => {
    expect(() => parseMatcher('rack')).toThrow(MatcherSyntaxError);
    expect(() => parseMatcher('rack!r0042')).toThrow(/expected name="value"/);
    expect(() => parseMatcher('rack=~"("')).toThrow(/invalid regular expression/);
    expect(() => parseMatcher('rack="r1')).toThrow(/unterminated/);
    expect(() => parseMatchers('{rack="r1}')).toThrow(/unterminated/);
    // What Alertmanager accepts, Kiln accepts (alertmanager-matcher-cases.test.ts has the rest): a name that is not a
    // Prometheus name, a brace that is not closed.
    expect(parseMatcher('9rack="x"')).toMatchObject({ name: '9rack', value: 'x' });
    expect(parseMatchers('{rack="r1"').map(String)).toEqual(['rack="r1"']);
  });

  it("has RE2's syntax and semantics, as Alertmanager's matchers: Go's flags and classes, no lookaround, linear time", () => {
    expect(parseMatcher('severity=~"(?i)critical"').matches({ severity: 'CRITICAL' })).toBe(true);
    expect(parseMatcher('host=~"[[:alpha:]]+"').matches({ host: 'rack' })).toBe(true);
    expect(parseMatcher('host=~"[[:alpha:]]+"').matches({ host: 'r0042' })).toBe(false);
    // Go's regexp, as Alertmanager uses it: `.` matches no newline unless (?s) says so.
    expect(parseMatcher('summary=~"a.b"').matches({ summary: 'a\nb' })).toBe(false);
    expect(parseMatcher('summary=~"(?s)a.b"').matches({ summary: 'a\nb' })).toBe(true);
    expect(() => parseMatcher('rack=~"(?=r)r.*"')).toThrow(/invalid or unsupported Perl syntax/);
    expect(() => parseMatcher('rack=~"(r)\\1"')).toThrow(/invalid escape sequence/);
    // Catastrophic for a backtracking engine (2^60 ways to split the value): RE2 answers at once.
    const evil = parseMatcher('uuid=~"(.*.*)*X"');
    expect(evil.matches({ uuid: `GPU-${'a'.repeat(60)}` })).toBe(false);
    expect(parseMatcher('uuid=~"(a|aa)+$"').matches({ uuid: `${'a'.repeat(5000)}!` })).toBe(false);
  });
});
