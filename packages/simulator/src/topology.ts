import { isSubjectToken } from '@kiln/wire';
import { mix32 } from './rng.js';

/** A GB300 NVL72 rack: 18 compute trays of 4 GPUs. */
export const TRAYS_PER_RACK = 18;
export const GPUS_PER_TRAY = 4;
export const GPUS_PER_RACK = TRAYS_PER_RACK * GPUS_PER_TRAY;

/** Rack name of dense rack index `rack` (0-based): r0001, r0002, … */
export function rackName(rack: number): string {
  return `r${String(rack + 1).padStart(4, '0')}`;
}

/** Host name of compute tray `tray` (0-based) in a rack: <rack>-t01 … <rack>-t18. */
export function hostName(rack: string, tray: number): string {
  return `${rack}-t${String(tray + 1).padStart(2, '0')}`;
}

/**
 * The fleet's names and dense ids. Hosts are numbered rack-major (host = rack * 18 + tray) and GPUs host-major
 * (gpu = host * 4 + index), so every per-GPU array is laid out rack by rack and a rack is one contiguous slice.
 */
export class Topology {
  readonly racks: readonly string[];
  readonly hosts: readonly string[];
  /** GPU uuids by dense GPU id. */
  readonly uuids: readonly string[];
  readonly gpuCount: number;
  private readonly hostIds: ReadonlyMap<string, number>;
  private readonly rackIds: ReadonlyMap<string, number>;

  constructor(
    readonly cluster: string,
    rackCount: number,
  ) {
    if (!isSubjectToken(cluster)) {
      throw new RangeError(`cluster ${JSON.stringify(cluster)} must match [A-Za-z0-9_-]{1,64} (it is a subject token)`);
    }
    if (!Number.isSafeInteger(rackCount) || rackCount < 1) {
      throw new RangeError(`racks must be a positive integer, got ${rackCount}`);
    }
    this.racks = Array.from({ length: rackCount }, (_, r) => rackName(r));
    this.hosts = this.racks.flatMap((rack) => Array.from({ length: TRAYS_PER_RACK }, (_, t) => hostName(rack, t)));
    this.uuids = this.hosts.flatMap((host) =>
      Array.from({ length: GPUS_PER_TRAY }, (_, g) => gpuUuid(cluster, host, g)),
    );
    this.gpuCount = this.uuids.length;
    this.hostIds = new Map(this.hosts.map((h, i) => [h, i]));
    this.rackIds = new Map(this.racks.map((r, i) => [r, i]));
  }

  get hostCount(): number {
    return this.hosts.length;
  }

  hostId(host: string): number | undefined {
    return this.hostIds.get(host);
  }

  rackId(rack: string): number | undefined {
    return this.rackIds.get(rack);
  }

  rackOfHost(host: number): number {
    return Math.floor(host / TRAYS_PER_RACK);
  }
}

/**
 * A stable NVML-style uuid (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) for the GPU at a position. It hashes the
 * cluster, host and index only, not the seed: runs with different seeds model different days of the same hardware.
 */
export function gpuUuid(cluster: string, host: string, gpu: number): string {
  let h = 0x811c9dc5;
  const key = `${cluster}/${host}/${gpu}`;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  const hex = [1, 2, 3, 4]
    .map((k) =>
      mix32(h ^ Math.imul(k, 0x9e3779b9))
        .toString(16)
        .padStart(8, '0'),
    )
    .join('');
  return `GPU-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
