/** JSON for values JSON.stringify does not take: bigint as a quoted integer (ClickHouse parses it for any integer
 *  column), a Date as epoch milliseconds (what DateTime64(3) columns take). */
function jsonValue(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Date) return original.getTime();
  return value;
}

/** A JSONCompactEachRow body: one JSON array per row. NaN and ±Infinity become null. */
export function encodeJsonRows(rows: readonly (readonly unknown[])[]): string {
  let body = '';
  for (const row of rows) body += JSON.stringify(row, jsonValue) + '\n';
  return body;
}
