/** Numbers as alert text shows them: at most `digits` decimals, no trailing zeros. */
export function fmt(v: number, digits = 1): string {
  const f = 10 ** digits;
  return (Math.round(v * f) / f).toString();
}

/** A clock-event bitmask as NVML prints it. */
export function hex(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(4, '0')}`;
}

/** Where a GPU is, as a person on call reads it: "GPU 2 on r0001-t07 (rack r0001, eus2-ai1)". */
export function gpuPlace(labels: {
  readonly gpu?: string;
  readonly host?: string;
  readonly rack?: string;
  readonly cluster?: string;
}): string {
  return `GPU ${labels.gpu} on ${labels.host} (rack ${labels.rack}, ${labels.cluster})`;
}

/** Milliseconds as a short duration: 45 s, 3 min, 2 h 5 min. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
