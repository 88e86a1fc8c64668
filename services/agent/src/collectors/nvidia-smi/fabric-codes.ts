/**
 * nvidia-smi prints the NVLink fabric's state and status as words (NVML's GpuFabricInfo as text); the wire carries
 * them as codes. Its not-available spellings ("N/A", "[N/A]", "[Not Supported]") stay absent (NaN), never 0.
 */

/** NVML fabric states by their nvidia-smi spelling, lower-cased without spaces: the wire's fabric_state codes. */
const FABRIC_STATES: Readonly<Record<string, number>> = { notsupported: 0, notstarted: 1, inprogress: 2, completed: 3 };

/** "Completed" → 3, "In Progress" → 2, "Not Started" → 1, "Not Supported" → 0; a bare code 0..3 as is; else NaN. */
export function fabricStateCode(text: string): number {
  const key = text
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
  const code = FABRIC_STATES[key];
  if (code !== undefined) return code;
  const n = Number(key);
  return key !== '' && Number.isInteger(n) && n >= 0 && n <= 3 ? n : NaN;
}

/**
 * "Success" → 0; a number (decimal or 0x hex) → that code. Any other word is an error the driver named but whose
 * number nvidia-smi does not print: it stays absent rather than be given a code Kiln would have to invent.
 */
export function fabricStatusCode(text: string): number {
  const t = text.trim();
  return t.toLowerCase() === 'success' ? 0 : fabricNumber(t);
}

/** A fabric code or clique id as printed ("32766", "0x7ffe") → that number; "N/A" or beyond 32 bits → NaN. */
export function fabricNumber(text: string): number {
  if (!/^(0[xX][0-9a-fA-F]+|\d+)$/.test(text)) return NaN;
  const n = Number(text);
  return n <= 0xffffffff ? n : NaN;
}
