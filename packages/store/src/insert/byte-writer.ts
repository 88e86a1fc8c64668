const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
/** Above this a double no longer holds every integer, so digit extraction by division would drift. */
const EXACT_INTEGER_LIMIT = 2 ** 53;

/**
 * A growable byte buffer for building insert bodies (ASCII numbers, little-endian integers, pre-encoded strings)
 * without intermediate strings. Writes are unchecked: reserve() room first.
 */
export class ByteWriter {
  #buf: Buffer;
  #pos = 0;
  readonly #digits = new Uint8Array(24);

  constructor(initialBytes: number) {
    this.#buf = Buffer.allocUnsafe(Math.max(64, initialBytes));
  }

  get length(): number {
    return this.#pos;
  }

  /** Starts over, keeping the buffer: what take() returned before is overwritten by the next writes. */
  reset(): void {
    this.#pos = 0;
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + bytes));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  byte(b: number): void {
    this.#buf[this.#pos++] = b;
  }

  /** Copies `src`; reserves room itself. */
  bytes(src: Uint8Array): void {
    this.reserve(src.length);
    const buf = this.#buf;
    let pos = this.#pos;
    // Label values are short: a plain loop beats Buffer.set's call overhead at these sizes.
    for (let i = 0; i < src.length; i++) buf[pos++] = src[i]!;
    this.#pos = pos;
  }

  /**
   * Moves the write position `bytes` on (reserving them) and returns where they start: a region the caller fills with
   * byteAt() and integerAt(), in any order.
   */
  skip(bytes: number): number {
    this.reserve(bytes);
    const at = this.#pos;
    this.#pos += bytes;
    return at;
  }

  /** Writes a byte at `at`, inside a region skip() returned. */
  byteAt(at: number, b: number): void {
    this.#buf[at] = b;
  }

  /** `value` (an integer) as 2, 4 or 8 little-endian bytes, two's complement; 8-byte values beyond 2^53 go through BigInt. */
  integer(value: number, width: 2 | 4 | 8): void {
    this.integerAt(this.#pos, value, width);
    this.#pos += width;
  }

  /** integer() at `at`, inside a region skip() returned. */
  integerAt(at: number, value: number, width: 2 | 4 | 8): void {
    const buf = this.#buf;
    let pos = at;
    let high = 0;
    let low = value;
    if (width === 8) {
      if (value < EXACT_INTEGER_LIMIT && value > -EXACT_INTEGER_LIMIT) {
        high = Math.floor(value / 4_294_967_296);
      } else {
        const big = BigInt.asUintN(64, BigInt(value));
        high = Number(big >> 32n);
        low = Number(big & 0xffff_ffffn);
      }
    }
    buf[pos++] = low & 0xff;
    buf[pos++] = (low >>> 8) & 0xff;
    if (width !== 2) {
      buf[pos++] = (low >>> 16) & 0xff;
      buf[pos++] = (low >>> 24) & 0xff;
    }
    if (width === 8) {
      buf[pos++] = high & 0xff;
      buf[pos++] = (high >>> 8) & 0xff;
      buf[pos++] = (high >>> 16) & 0xff;
      buf[pos++] = (high >>> 24) & 0xff;
    }
  }

  /** An unsigned LEB128 integer (ClickHouse's VarUInt: lengths and counts in Native and RowBinary); reserve 10 bytes. */
  varUInt(value: number): void {
    let n = value;
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#pos++] = n;
  }

  /**
   * Writes `scaled / 10^decimals` in plain decimal notation, e.g. (713, 1) → `71.3`, (5, 3) → `0.005`. `scaled` must
   * be an integer-valued number; at most 48 bytes are written (reserve them).
   */
  scaledInteger(scaled: number, decimals: number): void {
    if (scaled >= EXACT_INTEGER_LIMIT || scaled <= -EXACT_INTEGER_LIMIT) {
      this.#bigScaledInteger(scaled, decimals);
      return;
    }
    const buf = this.#buf;
    const digits = this.#digits;
    let n = scaled;
    if (n < 0) {
      buf[this.#pos++] = MINUS;
      n = -n;
    }
    let count = 0;
    // Two digits per division while more than two are left, then one at a time (and at least decimals + 1 digits).
    while (n >= 100) {
      const q = Math.floor(n / 100);
      const pair = n - q * 100;
      const tens = (pair / 10) | 0;
      digits[count++] = ZERO + pair - tens * 10;
      digits[count++] = ZERO + tens;
      n = q;
    }
    do {
      const q = Math.floor(n / 10);
      digits[count++] = ZERO + (n - q * 10);
      n = q;
    } while (n > 0 || count <= decimals);
    let pos = this.#pos;
    for (let i = count - 1; i >= 0; i--) {
      if (i === decimals - 1) buf[pos++] = DOT;
      buf[pos++] = digits[i]!;
    }
    this.#pos = pos;
  }

  /** The rare path for magnitudes beyond 2^53 (large byte and energy counters): exact through BigInt. */
  #bigScaledInteger(scaled: number, decimals: number): void {
    const negative = scaled < 0;
    const text = BigInt(Math.abs(scaled))
      .toString()
      .padStart(decimals + 1, '0');
    const split = text.length - decimals;
    const formatted = decimals === 0 ? text : `${text.slice(0, split)}.${text.slice(split)}`;
    this.#pos += this.#buf.write(negative ? `-${formatted}` : formatted, this.#pos, 'latin1');
  }

  /** The bytes written so far (a view on the buffer, valid until reset()). */
  take(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}
