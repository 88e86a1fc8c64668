import { describe, expect, it } from 'vitest';
import { expandGrafanaQuery, grafanaInterval, parseGrafanaInterval, type GrafanaQueryContext } from '../src/index.js';

const FROM = Date.UTC(2026, 10, 26, 12, 0, 0, 250);
const TO = Date.UTC(2026, 10, 26, 15, 0, 0, 750);
const base: GrafanaQueryContext = {
  fromMs: FROM,
  toMs: TO,
  intervalMs: 20_000,
  variables: {
    cluster: { current: ['eus2-ai1', "o'neil"], options: ['eus2-ai1', "o'neil", 'wus3'] },
    rack: { current: '$__all', options: ['r0001', 'r0002'] },
    host: { current: 'r0001-t03' },
    all: { current: ['$__all'], options: ['a', 'b'], allValue: '.*' },
  },
};
const expand = (sql: string, context: Partial<GrafanaQueryContext> = {}) =>
  expandGrafanaQuery(sql, { ...base, ...context });
const FROM_S = Math.floor(FROM / 1000);
const TO_S = Math.floor(TO / 1000);

describe('the ClickHouse data source’s macros', () => {
  it('filters on the time range in seconds or milliseconds', () => {
    expect(expand('WHERE $__timeFilter(ts)')).toBe(`WHERE ts >= toDateTime(${FROM_S}) AND ts <= toDateTime(${TO_S})`);
    expect(expand('WHERE $__timeFilter_ms(ts)')).toBe(
      `WHERE ts >= fromUnixTimestamp64Milli(${FROM}) AND ts <= fromUnixTimestamp64Milli(${TO})`,
    );
    expect(expand('$__fromTime, $__toTime, $__fromTime_ms, $__toTime_ms')).toBe(
      `toDateTime(${FROM_S}), toDateTime(${TO_S}), fromUnixTimestamp64Milli(${FROM}), fromUnixTimestamp64Milli(${TO})`,
    );
    expect(expand('$__dateFilter(d)')).toBe("d >= toDate('2026-11-26') AND d <= toDate('2026-11-26')");
    expect(expand('$__dt(d, t)')).toBe(
      `(d >= toDate('2026-11-26') AND d <= toDate('2026-11-26')) AND (t >= toDateTime(${FROM_S}) AND t <= toDateTime(${TO_S}))`,
    );
  });

  it('takes arguments with nested parentheses, trimmed', () => {
    expect(expand('$__timeFilter( toDateTime(ts, 3) )')).toBe(
      `toDateTime(ts, 3) >= toDateTime(${FROM_S}) AND toDateTime(ts, 3) <= toDateTime(${TO_S})`,
    );
  });

  it('buckets by the panel interval, in whole seconds and at least one', () => {
    expect(expand('$__timeInterval(ts) $__interval_s')).toBe(
      'toStartOfInterval(toDateTime(ts), INTERVAL 20 second) 20',
    );
    expect(expand('$__timeInterval_ms(ts)', { intervalMs: 500 })).toBe(
      'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 500 millisecond)',
    );
    expect(expand('$__interval_s', { intervalMs: 500 })).toBe('1');
    expect(expand('$__interval_s', { intervalMs: 90_500 })).toBe('90');
  });

  it('refuses a macro with the wrong arguments and an unknown macro', () => {
    expect(() => expand('$__timeFilter')).toThrow(/timeFilter: expected 1/);
    expect(() => expand('$__timeFilter(a, b)')).toThrow(/expected 1/);
    expect(() => expand('$__timeGroup(ts, 5m)')).toThrow(/\$__timeGroup is not a macro/);
  });

  it('drops a $__conditionalAll condition when All is selected, keeps it otherwise', () => {
    expect(expand('WHERE $__conditionalAll(rack IN (${rack:singlequote}), $rack)')).toBe('WHERE 1=1');
    expect(expand('WHERE $__conditionalAll(x IN ($all), $all)')).toBe('WHERE 1=1');
    expect(
      expand(
        'WHERE $__conditionalAll(cluster IN (${cluster:singlequote}), $cluster) AND $__conditionalAll(host = $host, $host)',
      ),
    ).toBe("WHERE cluster IN ('eus2-ai1','o\\'neil') AND host = r0001-t03");
    expect(expand('$__conditionalAll(x = 1, $host)', { variables: { host: { current: '' } } })).toBe('1=1');
  });
});

describe('template variables', () => {
  it('formats values as Grafana does', () => {
    expect(
      expand('${cluster:singlequote}|${cluster:sqlstring}|${cluster:csv}|${cluster:doublequote}|${cluster:pipe}'),
    ).toBe("'eus2-ai1','o\\'neil'|'eus2-ai1','o''neil'|eus2-ai1,o'neil|\"eus2-ai1\",\"o'neil\"|eus2-ai1|o'neil");
    // Without a format the data source quotes several values and leaves one as it is.
    expect(expand('$cluster / ${host} / [[host]]')).toBe("'eus2-ai1','o'neil' / r0001-t03 / r0001-t03");
  });

  it('expands All to every option, or to the custom all value', () => {
    expect(expand('${rack:singlequote} ${all}')).toBe("'r0001','r0002' .*");
  });

  it('leaves unknown names alone and fills the built-ins', () => {
    expect(expand("'$nope' $__from $__to $__interval $__interval_ms")).toBe(`'$nope' ${FROM} ${TO} 20s 20000`);
  });
});

describe('the automatic interval', () => {
  it('divides the range by the data points and rounds it on Grafana’s ladder', () => {
    const hour = 3_600_000;
    expect(grafanaInterval(15 * 60_000, 1000)).toBe(1_000);
    expect(grafanaInterval(hour, 1000)).toBe(5_000);
    expect(grafanaInterval(3 * hour, 1000)).toBe(10_000);
    expect(grafanaInterval(8 * hour, 1000)).toBe(30_000);
    expect(grafanaInterval(24 * hour, 1000)).toBe(60_000);
    expect(grafanaInterval(30 * 24 * hour, 1000)).toBe(1_800_000);
    expect(grafanaInterval(90 * 24 * hour, 1000)).toBe(7_200_000);
    expect(grafanaInterval(15 * 60_000, 1000, parseGrafanaInterval('10s'))).toBe(10_000);
  });
});
