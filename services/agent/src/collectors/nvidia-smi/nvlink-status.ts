const GPU_LINE = /^GPU \d+: .*\(UUID: (\S+?)\)\s*$/;
const LINK_LINE = /^\s*Link \d+: (.*?)\s*$/;

/** Calls `onLink` with the GPU uuid and the text after "Link <n>: " of each link line of `nvidia-smi nvlink …`. */
function forEachLink(text: string, onLink: (uuid: string, rest: string) => void): void {
  let uuid: string | undefined;
  for (const line of text.split('\n')) {
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      uuid = gpu[1]!;
      continue;
    }
    const link = LINK_LINE.exec(line);
    if (link && uuid !== undefined) onLink(uuid, link[1]!);
  }
}

/**
 * Inactive NVLink links per GPU uuid, from `nvidia-smi nvlink -s` ("GPU 0: NVIDIA GB300 (UUID: GPU-…)" then one
 * "Link <n>: 50 GB/s" or "Link <n>: <inactive>" line per link the GPU has). A GPU with no link lines (no NVLink, or
 * the driver's "Unable to retrieve NVLink information" message instead) is left out: its count is unknown, not 0.
 * Only a line that reads as a speed counts as active; any other status ("<inactive>", "N/A", one not seen yet) is
 * not evidence of a working link and counts as inactive.
 */
export function parseNvlinkStatus(text: string): Map<string, number> {
  const inactive = new Map<string, number>();
  forEachLink(text, (uuid, rest) => {
    const down = /^\d+(\.\d+)? [GM]B\/s$/.test(rest) ? 0 : 1;
    inactive.set(uuid, (inactive.get(uuid) ?? 0) + down);
  });
  return inactive;
}

/** NVLink error counters of one GPU, summed over its links; NaN where a link's counter could not be read. */
export interface NvlinkErrors {
  crc: number;
  replay: number;
  recovery: number;
}

const ERROR_LINE = /^(CRC|Replay|Recovery) Errors: (.*)$/;
const COUNTER: Readonly<Record<string, keyof NvlinkErrors>> = { CRC: 'crc', Replay: 'replay', Recovery: 'recovery' };

/**
 * NVLink error counters per GPU uuid, from `nvidia-smi nvlink -e` ("Link <n>: Replay Errors: 0", "… Recovery
 * Errors: 0", "… CRC Errors: 0" per link). A counter is the sum over the GPU's links; one link reading N/A makes it
 * NaN (absent), since a partial sum would drop when that link is read again. A counter no line names stays NaN.
 */
export function parseNvlinkErrors(text: string): Map<string, NvlinkErrors> {
  const errors = new Map<string, NvlinkErrors>();
  const named = new Set<string>();
  forEachLink(text, (uuid, rest) => {
    const m = ERROR_LINE.exec(rest);
    if (!m) return;
    let counts = errors.get(uuid);
    if (!counts) errors.set(uuid, (counts = { crc: 0, replay: 0, recovery: 0 }));
    const key = COUNTER[m[1]!]!;
    named.add(`${uuid} ${key}`);
    counts[key] += /^\d+$/.test(m[2]!) ? Number(m[2]) : NaN;
  });
  for (const [uuid, counts] of errors) {
    for (const key of Object.values(COUNTER)) if (!named.has(`${uuid} ${key}`)) counts[key] = NaN;
  }
  return errors;
}
