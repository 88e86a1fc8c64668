import { METRIC_COUNT } from '@kiln/wire';
import { isGpuIndex, isGpuUuid } from '../../gpu-frame.js';
import { fabricStateCode, fabricStatusCode } from './fabric-codes.js';
import type { ColumnParse, QueryColumn } from './query-fields.js';

/** A parsed --query-gpu row: its GPU and its metrics (in `metrics`, NaN where not read). */
export class QueryRow {
  index = -1;
  uuid = '';
  busId = '';
  readonly metrics = new Float64Array(METRIC_COUNT);
}

/**
 * Parses one line of `--format=csv,noheader,nounits` output (columns separated by ", ") into `row`. Values nvidia-smi
 * cannot read ("[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", "[GPU requires reset]", …) become NaN. Returns
 * false when the line is not a row of this query: wrong column count, or no valid index and uuid.
 */
export function parseQueryRow(line: string, columns: readonly QueryColumn[], row: QueryRow): boolean {
  row.metrics.fill(NaN);
  row.index = -1;
  row.uuid = '';
  row.busId = '';
  let start = 0;
  for (let c = 0; c < columns.length; c++) {
    const comma = line.indexOf(',', start);
    const last = c === columns.length - 1;
    if (last !== comma < 0) return false;
    const text = line.slice(start, last ? line.length : comma).trim();
    start = comma + 1;
    const column = columns[c]!;
    switch (column.field.role) {
      case 'index':
        row.index = parseSmiValue(text, 'decimal');
        break;
      case 'uuid':
        row.uuid = text;
        break;
      case 'bus_id':
        row.busId = normalizeBusId(text);
        break;
      default:
        row.metrics[column.metric] = parseSmiValue(text, column.field.parse);
    }
  }
  return isGpuIndex(row.index) && isGpuUuid(row.uuid);
}

const HEX = /^0[xX][0-9a-fA-F]+$/;

/** A number nvidia-smi printed, NaN for its not-available spellings. Bitmasks print as 0x… hex (64 bits wide). */
export function parseSmiValue(text: string, parse: ColumnParse): number {
  if (text.length === 0 || text.charCodeAt(0) === 0x5b /* [ */ || text === 'N/A') return NaN;
  if (parse === 'fabric_state') return fabricStateCode(text);
  if (parse === 'fabric_status') return fabricStatusCode(text);
  if (parse === 'hex' && HEX.test(text)) {
    // The catalog keeps the low 32 bits: every NVML clock-event reason defined so far lies below bit 9.
    return Number.parseInt(text.length > 10 ? text.slice(-8) : text.slice(2), 16);
  }
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

/** PCI bus ids as nvidia-smi prints them ("00000000:01:00.0"), lower-cased so -q and --query-gpu output match. */
export function normalizeBusId(text: string): string {
  return text.trim().toLowerCase();
}
