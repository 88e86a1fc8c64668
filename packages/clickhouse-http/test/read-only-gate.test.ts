import { describe, expect, it } from 'vitest';
import { ClickHouseHttpError } from '../src/clickhouse-exception.js';
import { assertReadOnlyQuery } from '../src/read-only-gate.js';
import { formatClause, statementKeyword, tokenizeSql } from '../src/sql-lexer.js';

const refused = (sql: string): boolean => {
  try {
    assertReadOnlyQuery(sql);
    return false;
  } catch (error) {
    if (error instanceof ClickHouseHttpError && error.code === 164) return true;
    throw error;
  }
};

describe('read-only gate', () => {
  it.each([
    'SELECT 1',
    'select count() from kiln.gpu_samples where host = {host:String}',
    '  (SELECT 1) UNION ALL (SELECT 2)',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'SHOW TABLES FROM kiln',
    'DESCRIBE TABLE kiln.gpu_samples',
    'DESC kiln.alerts',
    'EXISTS TABLE kiln.alerts',
    'EXPLAIN SELECT 1',
    'SELECT 1;',
    "SELECT 'DROP TABLE x; file(1)' AS text",
    'SELECT 1 -- ; DROP TABLE x\n',
    'SELECT /* ; INTO OUTFILE */ 1',
    'SELECT `file` FROM t',
    'SELECT format FROM t FORMAT JSON',
    "SELECT 'it''s', 'a\\'b; DROP' FROM t",
  ])('lets through %j', (sql) => {
    expect(refused(sql)).toBe(false);
  });

  it.each([
    'INSERT INTO t VALUES (1)',
    'DROP TABLE t',
    'CREATE TABLE t (x UInt8) ENGINE = Memory',
    'ALTER TABLE t DELETE WHERE 1',
    'OPTIMIZE TABLE t FINAL',
    'TRUNCATE TABLE t',
    'SET readonly = 0',
    'USE kiln',
    'KILL QUERY WHERE 1',
    'SYSTEM SHUTDOWN',
    '',
    '-- only a comment',
    'SELECT 1; SELECT 2',
    'SELECT 1;; ',
    "SELECT 'x'; DROP TABLE t",
    "SELECT * FROM file('/etc/passwd')",
    "SELECT file('/etc/passwd')",
    "SELECT FILE ('/etc/passwd')",
    "SELECT `file`('/etc/passwd')",
    "SELECT * FROM url('http://x', CSV)",
    "SELECT * FROM s3('http://x/y')",
    "SELECT * FROM remote('h', system.one)",
    "SELECT * FROM remoteSecure('h', system.one)",
    "SELECT * FROM postgresql('h', 'd', 't', 'u', 'p')",
    "SELECT 1 INTO OUTFILE '/tmp/x'",
    "SELECT 1 into outfile '/tmp/x' TRUNCATE",
    // Comment and literal forms that ClickHouse could read differently are refused, not guessed at.
    "SELECT /* /* */ ' */ SELECT file('x') -- '",
    "SELECT $$ ' $$, file('x') -- '",
    "SELECT 'unterminated",
    'SELECT /* unterminated',
  ])('refuses %j', (sql) => {
    expect(refused(sql)).toBe(true);
  });
});

describe('sql lexer', () => {
  it('finds the statement keyword past parentheses and comments', () => {
    expect(statementKeyword(tokenizeSql('/* c */ ((select 1))'))).toBe('SELECT');
    expect(statementKeyword(tokenizeSql('# note\ninsert into t values (1)'))).toBe('INSERT');
    expect(statementKeyword(tokenizeSql(''))).toBe('');
  });

  it('finds the FORMAT clause at the top level only', () => {
    expect(formatClause(tokenizeSql('SELECT 1 FORMAT JSONEachRow'))).toBe('JSONEachRow');
    expect(formatClause(tokenizeSql("SELECT format('{}', 1) AS f FROM t"))).toBeUndefined();
    expect(formatClause(tokenizeSql('SELECT * FROM (SELECT 1 FORMAT CSV) FORMAT Native SETTINGS x = 1'))).toBe(
      'Native',
    );
    expect(formatClause(tokenizeSql("SELECT 'FORMAT CSV'"))).toBeUndefined();
  });

  it('unquotes quoted identifiers', () => {
    const [token] = tokenizeSql('`fi``le` "a\\"b"');
    expect(token).toMatchObject({ kind: 'quoted', text: 'fi`le' });
    expect(tokenizeSql('"a\\"b"')[0]!.text).toBe('a"b');
  });
});
