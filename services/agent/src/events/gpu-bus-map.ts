import type { Logger } from '@kiln/log';
import { MAX_GPU_INDEX, UUID_PATTERN } from '@kiln/wire';
import { runNvidiaSmi } from '../collectors/nvidia-smi/run-nvidia-smi.js';
import { pciKeyOfBusId } from './kernel-log-record.js';

export interface GpuOnBus {
  gpu: number;
  uuid: string;
}

/** How often an unknown bus id may ask nvidia-smi again. */
const REFRESH_AT_MOST_EVERY_MS = 30_000;

/**
 * Which GPU sits at which PCI address, from `nvidia-smi --query-gpu=index,uuid,pci.bus_id`. Read at start and again
 * when an Xid names an address it does not know (at most every 30 s). Entries are never dropped: the GPU an Xid 79
 * names has fallen off the bus, and nvidia-smi no longer lists it.
 */
export class GpuBusMap {
  private readonly byPci = new Map<string, GpuOnBus>();
  private lastRefresh = -Infinity;

  constructor(
    private readonly command: string,
    private readonly log: Logger,
  ) {}

  async refresh(now = Date.now()): Promise<void> {
    this.lastRefresh = now;
    try {
      const csv = await runNvidiaSmi(this.command, ['--query-gpu=index,uuid,pci.bus_id', '--format=csv,noheader']);
      for (const [pci, gpu] of parseGpuBusCsv(csv)) this.byPci.set(pci, gpu);
    } catch (err) {
      this.log.warn(
        { err: String(err) },
        'nvidia-smi could not list the GPUs by PCI address; Xid events go out without a GPU until it can',
      );
    }
  }

  /** The GPU at a pciKey, asking nvidia-smi again when the address is new to it. */
  async lookup(pci: string): Promise<GpuOnBus | undefined> {
    const known = this.byPci.get(pci);
    if (known !== undefined || Date.now() - this.lastRefresh < REFRESH_AT_MOST_EVERY_MS) return known;
    await this.refresh();
    return this.byPci.get(pci);
  }
}

/** Rows `<index>, <uuid>, <pci.bus_id>` by pciKey; rows that do not parse are skipped. */
export function parseGpuBusCsv(csv: string): Map<string, GpuOnBus> {
  const out = new Map<string, GpuOnBus>();
  for (const line of csv.split('\n')) {
    const [index, uuid, busId] = line.split(',').map((f) => f.trim());
    const gpu = Number(index);
    const pci = busId === undefined ? undefined : pciKeyOfBusId(busId);
    if (
      index === undefined ||
      !/^\d+$/.test(index) ||
      gpu > MAX_GPU_INDEX ||
      uuid === undefined ||
      !UUID_PATTERN.test(uuid) ||
      pci === undefined
    )
      continue;
    out.set(pci, { gpu, uuid });
  }
  return out;
}
