import { ClickHouseHttpError, ErrorCode } from './clickhouse-exception.js';
import { parseNativeType, type NativeType } from './native-type.js';

/**
 * The embedded engine writes Native blocks at protocol revision 0 (no block info, no per-column serialization flag),
 * the form a plain HTTP client gets. clickhouse-go (Grafana's ClickHouse data source over HTTP) sends
 * `client_protocol_version` and decodes at the server's revision, as a ClickHouse server would answer it. This
 * rewrites revision-0 blocks into that layout: block info before each block (revision > 0) and a "no custom
 * serialization" byte after each column's type (revision >= 54454). Column data is copied unchanged; walking it only
 * needs each type's byte layout.
 */

const REVISION_WITH_LOW_CARDINALITY = 54405;
const REVISION_WITH_CUSTOM_SERIALIZATION = 54454;
/** Block info: field 1 is_overflows = false, field 2 bucket_num = -1, end of fields. */
const BLOCK_INFO = Uint8Array.of(1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0);

/** Fixed byte width of a value, by type name. */
const FIXED_WIDTH: Record<string, number> = {
  UInt8: 1,
  Int8: 1,
  Bool: 1,
  Enum8: 1,
  Nothing: 1,
  UInt16: 2,
  Int16: 2,
  Date: 2,
  Enum16: 2,
  BFloat16: 2,
  UInt32: 4,
  Int32: 4,
  Float32: 4,
  Date32: 4,
  DateTime: 4,
  IPv4: 4,
  Decimal32: 4,
  Time: 4,
  UInt64: 8,
  Int64: 8,
  Float64: 8,
  DateTime64: 8,
  Decimal64: 8,
  Time64: 8,
  IntervalNanosecond: 8,
  IntervalMicrosecond: 8,
  IntervalMillisecond: 8,
  IntervalSecond: 8,
  IntervalMinute: 8,
  IntervalHour: 8,
  IntervalDay: 8,
  IntervalWeek: 8,
  IntervalMonth: 8,
  IntervalQuarter: 8,
  IntervalYear: 8,
  UInt128: 16,
  Int128: 16,
  UUID: 16,
  IPv6: 16,
  Decimal128: 16,
  UInt256: 32,
  Int256: 32,
  Decimal256: 32,
};

/** Geo types are names for nested layouts. */
const POINT: NativeType = {
  name: 'Tuple',
  args: [{ type: { name: 'Float64', args: [] } }, { type: { name: 'Float64', args: [] } }],
};
const arrayOf = (type: NativeType): NativeType => ({ name: 'Array', args: [{ type }] });
const RING = arrayOf(POINT);
const POLYGON = arrayOf(RING);
const GEO: Record<string, NativeType> = {
  Point: POINT,
  Ring: RING,
  LineString: RING,
  Polygon: POLYGON,
  MultiLineString: POLYGON,
  MultiPolygon: arrayOf(POLYGON),
};

function unsupported(type: NativeType): never {
  throw new ClickHouseHttpError(
    ErrorCode.NOT_IMPLEMENTED,
    `Native output of type ${type.name} with client_protocol_version is not supported by Kiln's embedded engine; cast the column or use another format`,
  );
}

function nestedTypes(type: NativeType): NativeType[] {
  return type.args.flatMap((a) => ('type' in a ? [a.type] : []));
}

function nested(type: NativeType, index = 0): NativeType {
  const t = nestedTypes(type)[index];
  if (t === undefined) throw new Error(`type ${type.name} lacks its argument`);
  return t;
}

function decimalWidth(type: NativeType): number {
  const precision = Number('literal' in type.args[0]! ? type.args[0].literal : NaN);
  if (precision <= 9) return 4;
  if (precision <= 18) return 8;
  if (precision <= 38) return 16;
  return 32;
}

class NativeReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Error('truncated Native block');
  }

  varUInt(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.bytes[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  }

  /** A little-endian UInt64 that fits a double exactly (counts and offsets do). */
  uint64(): number {
    this.need(8);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  string(): string {
    const length = this.varUInt();
    this.need(length);
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, length).toString('utf8');
    this.pos += length;
    return text;
  }

  /** Skips the serialization state prefix of a column of `type` (written before its data). */
  skipPrefix(type: NativeType): void {
    switch (type.name) {
      case 'LowCardinality':
        this.skip(8); // key serialization version
        return;
      case 'Array':
      case 'Nullable':
      case 'Tuple':
      case 'Map':
        for (const t of nestedTypes(type)) this.skipPrefix(t);
        return;
      case 'SimpleAggregateFunction':
        this.skipPrefix(nested(type, 1));
        return;
      default:
        if (type.name in GEO) this.skipPrefix(GEO[type.name]!);
    }
  }

  /** Skips `rows` values of a column of `type`. */
  skipData(type: NativeType, rows: number): void {
    const width = FIXED_WIDTH[type.name];
    if (width !== undefined) {
      this.skip(rows * width);
      return;
    }
    switch (type.name) {
      case 'String':
        for (let i = 0; i < rows; i++) this.skip(this.varUInt());
        return;
      case 'FixedString':
        this.skip(rows * Number('literal' in type.args[0]! ? type.args[0].literal : NaN));
        return;
      case 'Decimal':
        this.skip(rows * decimalWidth(type));
        return;
      case 'Nullable':
        this.skip(rows);
        this.skipData(nested(type), rows);
        return;
      case 'Array':
        this.skipData(nested(type), this.#offsets(rows));
        return;
      case 'Map': {
        const entries = this.#offsets(rows);
        this.skipData(nested(type, 0), entries);
        this.skipData(nested(type, 1), entries);
        return;
      }
      case 'Tuple':
        for (const t of nestedTypes(type)) this.skipData(t, rows);
        return;
      case 'LowCardinality':
        this.#skipLowCardinality(type, rows);
        return;
      case 'SimpleAggregateFunction':
        this.skipData(nested(type, 1), rows);
        return;
      default: {
        const geo = GEO[type.name];
        if (geo === undefined) unsupported(type);
        this.skipData(geo, rows);
      }
    }
  }

  /** Array offsets (one UInt64 per row, cumulative); returns the element count. */
  #offsets(rows: number): number {
    if (rows === 0) return 0;
    this.skip((rows - 1) * 8);
    return this.uint64();
  }

  /** Per chunk: flags (index width, has-keys bit), the chunk's dictionary keys, then its indexes. */
  #skipLowCardinality(type: NativeType, rows: number): void {
    const inner = nested(type);
    const keyType = inner.name === 'Nullable' ? nested(inner) : inner;
    let left = rows;
    while (left > 0) {
      const flags = this.uint64();
      if ((flags & 0x100) !== 0) unsupported(type); // a shared dictionary: never in Native output
      if ((flags & 0x200) !== 0) this.skipData(keyType, this.uint64());
      const indexes = this.uint64();
      this.skip(indexes * 2 ** (flags & 0xff));
      left -= indexes;
    }
  }
}

/** True when a type, at any depth, is a LowCardinality (which clients below revision 54405 cannot read). */
function hasLowCardinality(type: NativeType): boolean {
  return type.name === 'LowCardinality' || nestedTypes(type).some(hasLowCardinality);
}

/** `native` (revision-0 Native blocks) laid out for a client of protocol `revision`. */
export function nativeAtRevision(native: Uint8Array, revision: number): Buffer {
  if (revision <= 0) return Buffer.from(native.buffer, native.byteOffset, native.byteLength);
  const reader = new NativeReader(native);
  const out: Uint8Array[] = [];
  const withFlag = revision >= REVISION_WITH_CUSTOM_SERIALIZATION;
  while (reader.pos < native.length) {
    out.push(BLOCK_INFO);
    const headerStart = reader.pos;
    const columnCount = reader.varUInt();
    const rows = reader.varUInt();
    out.push(native.subarray(headerStart, reader.pos));
    for (let c = 0; c < columnCount; c++) {
      const columnStart = reader.pos;
      reader.string(); // name
      const type = parseNativeType(reader.string());
      if (revision < REVISION_WITH_LOW_CARDINALITY && hasLowCardinality(type)) unsupported(type);
      out.push(native.subarray(columnStart, reader.pos));
      if (withFlag) out.push(Uint8Array.of(0));
      const dataStart = reader.pos;
      if (rows > 0) {
        reader.skipPrefix(type);
        reader.skipData(type, rows);
      }
      out.push(native.subarray(dataStart, reader.pos));
    }
  }
  return Buffer.concat(out);
}
