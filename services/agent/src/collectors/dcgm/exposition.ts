/**
 * A minimal reader of the Prometheus text exposition format (version 0.0.4), as dcgm-exporter serves it:
 * `name{label="value",…} value [timestamp]` lines, `#` comments, blank lines. Label values may hold escaped
 * backslashes, quotes and newlines. One Labels object is reused for every sample: read what you need in the callback.
 */
export class Labels {
  private readonly names: string[] = [];
  private readonly values: string[] = [];

  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  /** @internal */
  reset(): void {
    this.names.length = 0;
    this.values.length = 0;
  }

  /** @internal */
  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }
}

/** Calls `onSample` for each sample line; returns the number of lines that could not be read. */
export function readExposition(text: string, onSample: (name: string, labels: Labels, value: number) => void): number {
  const labels = new Labels();
  let malformed = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const lineStart = pos;
    pos = end + 1;
    let i = lineStart;
    while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= end || text[i] === '#' || (end - i === 1 && text[i] === '\r')) continue;
    const nameStart = i;
    while (i < end && isNameChar(text.charCodeAt(i))) i++;
    const name = text.slice(nameStart, i);
    labels.reset();
    if (name.length === 0) {
      malformed++;
      continue;
    }
    if (text[i] === '{') {
      i = readLabels(text, i + 1, end, labels);
      if (i < 0) {
        malformed++;
        continue;
      }
    }
    while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
    let valueEnd = i;
    while (valueEnd < end && text[valueEnd] !== ' ' && text[valueEnd] !== '\t' && text[valueEnd] !== '\r') valueEnd++;
    const value = parseSampleValue(text.slice(i, valueEnd));
    if (value === undefined) {
      malformed++;
      continue;
    }
    onSample(name, labels, value);
  }
  return malformed;
}

/** Reads `a="x",b="y"}` from `i`; returns the index after `}`, or -1 when malformed. */
function readLabels(text: string, i: number, end: number, labels: Labels): number {
  for (;;) {
    while (i < end && (text[i] === ' ' || text[i] === ',')) i++;
    if (text[i] === '}') return i + 1;
    const nameStart = i;
    while (i < end && isNameChar(text.charCodeAt(i))) i++;
    if (i === nameStart || text[i] !== '=' || text[i + 1] !== '"') return -1;
    const name = text.slice(nameStart, i);
    i += 2;
    let value = '';
    let chunkStart = i;
    for (;;) {
      if (i >= end) return -1;
      const c = text[i];
      if (c === '"') break;
      if (c === '\\') {
        value += text.slice(chunkStart, i);
        const e = text[i + 1];
        value += e === 'n' ? '\n' : (e ?? '');
        i += 2;
        chunkStart = i;
        continue;
      }
      i++;
    }
    value += text.slice(chunkStart, i);
    labels.add(name, value);
    i++;
  }
}

function parseSampleValue(s: string): number | undefined {
  if (s.length === 0) return undefined;
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x3a;
}
