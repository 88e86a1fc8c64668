import { ClickHouseHttpError, ErrorCode } from './clickhouse-exception.js';
import { SqlLexError, isWord, statementKeyword, tokenizeSql, type SqlToken } from './sql-lexer.js';

/** Statements that only read. */
const READ_STATEMENTS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN']);

/**
 * Functions that reach outside the database: files, URLs, object stores, other servers and databases, programs.
 * The read-only session refuses the table functions among them on its own (they need CREATE TEMPORARY TABLE, which
 * readonly=1 forbids); the scalar file() it does not, so the gate names them all.
 */
const OUTSIDE_FUNCTIONS = new Set(
  [
    'file',
    'fileCluster',
    'filesystem',
    'url',
    'urlCluster',
    's3',
    's3Cluster',
    'gcs',
    'oss',
    'cosn',
    'hdfs',
    'hdfsCluster',
    'azureBlobStorage',
    'azureBlobStorageCluster',
    'remote',
    'remoteSecure',
    'cluster',
    'clusterAllReplicas',
    'mysql',
    'postgresql',
    'mongodb',
    'redis',
    'sqlite',
    'jdbc',
    'odbc',
    'executable',
    'input',
    'arrowFlight',
  ].map((name) => name.toLowerCase()),
);

/** Keywords that make the client or server write or read a file. */
const FILE_KEYWORDS = ['OUTFILE', 'INFILE'];

function refuse(why: string): never {
  throw new ClickHouseHttpError(
    ErrorCode.READONLY,
    `Cannot execute query in readonly mode: ${why} (only the writer may change data; reads are SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN)`,
  );
}

function callsOutsideFunction(tokens: readonly SqlToken[]): string | undefined {
  for (let i = 0; i + 1 < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1]!;
    if ((token.kind === 'word' || token.kind === 'quoted') && next.kind === 'symbol' && next.text === '(') {
      if (OUTSIDE_FUNCTIONS.has(token.text.toLowerCase())) return token.text;
    }
  }
  return undefined;
}

/**
 * Lets through one read statement and nothing else, or throws ClickHouseHttpError READONLY. This is the first line;
 * the second is that readers' queries run on a session with readonly=1, which the query cannot lift.
 */
export function assertReadOnlyQuery(sql: string): void {
  let tokens: SqlToken[];
  try {
    tokens = tokenizeSql(sql);
  } catch (error) {
    if (error instanceof SqlLexError) refuse(error.message);
    throw error;
  }
  const keyword = statementKeyword(tokens);
  if (!READ_STATEMENTS.has(keyword)) refuse(keyword === '' ? 'empty query' : `${keyword} is not a read`);
  const semicolon = tokens.findIndex((t) => t.kind === 'symbol' && t.text === ';');
  if (semicolon !== -1 && semicolon < tokens.length - 1) refuse('multiple statements');
  for (const keywordName of FILE_KEYWORDS) {
    if (tokens.some((t) => isWord(t, keywordName))) refuse(`${keywordName} is not allowed`);
  }
  const outside = callsOutsideFunction(tokens);
  if (outside !== undefined) refuse(`${outside}() reaches outside the database`);
}
