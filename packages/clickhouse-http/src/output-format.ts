/** Content-Type of a response body in an output format, as ClickHouse labels them. */
export function contentTypeOf(format: string): string {
  if (/^(TabSeparated|TSV)/i.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/i.test(format)) return 'text/csv; charset=UTF-8; header=absent';
  if (/^JSON/i.test(format)) return 'application/json; charset=UTF-8';
  if (/^XML$/i.test(format)) return 'application/xml; charset=UTF-8';
  if (/^(Native|RowBinary|Parquet|Arrow|ORC|Avro|Protobuf|MsgPack|CapnProto|BSONEachRow|Npy|RawBLOB)/i.test(format)) {
    return 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}
