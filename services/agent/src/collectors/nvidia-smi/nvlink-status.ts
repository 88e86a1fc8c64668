const GPU_LINE = /^GPU \d+: .*\(UUID: (\S+?)\)\s*$/;
const LINK_LINE = /^\s*Link \d+: (.*?)\s*$/;

/**
 * Inactive NVLink links per GPU uuid, from `nvidia-smi nvlink -s` ("GPU 0: NVIDIA GB300 (UUID: GPU-…)" then one
 * "Link <n>: 50 GB/s" or "Link <n>: <inactive>" line per link the GPU has). A GPU with no link lines (no NVLink, or
 * the driver's "Unable to retrieve NVLink information" message instead) is left out: its count is unknown, not 0.
 * Only a line that reads as a speed counts as active; any other status ("<inactive>", "N/A", one not seen yet) is
 * not evidence of a working link and counts as inactive.
 */
export function parseNvlinkStatus(text: string): Map<string, number> {
  const inactive = new Map<string, number>();
  let uuid: string | undefined;
  for (const line of text.split('\n')) {
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      uuid = gpu[1]!;
      continue;
    }
    const link = LINK_LINE.exec(line);
    if (!link || uuid === undefined) continue;
    const down = /^\d+(\.\d+)? [GM]B\/s$/.test(link[1]!) ? 0 : 1;
    inactive.set(uuid, (inactive.get(uuid) ?? 0) + down);
  }
  return inactive;
}
