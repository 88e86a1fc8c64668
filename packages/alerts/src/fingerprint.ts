import type { Labels } from './alert.js';

/**
 * Alertmanager's alert fingerprint (prometheus/common `LabelSet.Fingerprint`): FNV-1a 64 over the label names in
 * byte order, each name and value followed by the separator byte 0xff, written as 16 hex digits. Matching it keeps
 * our fingerprints equal to those Alertmanager shows for the same label set, so both can be correlated.
 *
 * The 64-bit state is kept as two unsigned 32-bit halves, since a BigInt per byte would be needlessly slow.
 */
export function fingerprint(labels: Labels): string {
  const names = Object.keys(labels).sort(compareCodePoints);
  const h = new Fnv64();
  for (const name of names) {
    h.addString(name);
    h.addByte(SEPARATOR_BYTE);
    h.addString(labels[name] as string);
    h.addByte(SEPARATOR_BYTE);
  }
  return h.hex();
}

/** FNV-1a 64 of one string, as 16 hex digits: a short stable identifier that reveals nothing of its input. */
export function hashString(s: string): string {
  const h = new Fnv64();
  h.addString(s);
  return h.hex();
}

/** A byte that never occurs in UTF-8, so "ab"+"c" and "a"+"bc" hash differently. */
const SEPARATOR_BYTE = 0xff;

// FNV-1a 64 offset basis 0xcbf29ce484222325 and prime 0x100000001b3 = 2^40 + 0x1b3.
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const PRIME_LOW_BITS = 0x1b3;
const TWO_32 = 0x1_0000_0000;

class Fnv64 {
  private hi = OFFSET_HI;
  private lo = OFFSET_LO;

  addByte(byte: number): void {
    const lo = (this.lo ^ byte) >>> 0;
    // (hi·2^32 + lo)·(2^40 + 0x1b3) mod 2^64: the 2^40 term only reaches the high half (as lo << 8), the hi·2^72 term
    // falls off. Every intermediate stays below 2^53, so doubles are exact.
    const loProduct = lo * PRIME_LOW_BITS;
    const carry = Math.floor(loProduct / TWO_32);
    this.lo = loProduct >>> 0;
    this.hi = (this.hi * PRIME_LOW_BITS + carry + ((lo << 8) >>> 0)) >>> 0;
  }

  /** Adds the UTF-8 bytes of `s` (lone surrogates as U+FFFD, as TextEncoder and Go's JSON decoder do). */
  addString(s: string): void {
    for (let i = 0; i < s.length; i++) {
      let cp = s.charCodeAt(i);
      if (cp < 0x80) {
        this.addByte(cp);
        continue;
      }
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const next = s.charCodeAt(i + 1);
        if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          cp = 0xfffd;
        }
      }
      if (cp < 0x800) {
        this.addByte(0xc0 | (cp >> 6));
      } else if (cp < 0x10000) {
        this.addByte(0xe0 | (cp >> 12));
        this.addByte(0x80 | ((cp >> 6) & 0x3f));
      } else {
        this.addByte(0xf0 | (cp >> 18));
        this.addByte(0x80 | ((cp >> 12) & 0x3f));
        this.addByte(0x80 | ((cp >> 6) & 0x3f));
      }
      this.addByte(0x80 | (cp & 0x3f));
    }
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/**
 * Orders strings by code point, which is UTF-8 byte order (Go's string order). The default sort compares UTF-16 code
 * units and would place astral characters before U+E000..U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}
