/**
 * One line of the kernel log as the agent reads it: a /dev/kmsg record (`<prio>,<seq>,<usec>,<flags>;<text>`, see
 * the kernel's Documentation/ABI/testing/dev-kmsg), or a plain line (`journalctl -k -o cat`, dmesg, with or without a
 * `[ seconds]` prefix), which carries no sequence or time of its own.
 */
export interface KernelLogRecord {
  /** kmsg sequence number: increases by one per record within a boot. */
  seq?: number;
  /** Microseconds since boot (the kernel's monotonic clock). */
  bootUs?: number;
  text: string;
}

const KMSG = /^\d+,(\d+),(\d+),[^;]*;(.*)$/;
const DMESG_TIME = /^\[\s*\d+\.\d+\]\s*/;

/** Splits a line; undefined for a kmsg continuation line (` KEY=value` dictionary entries) or an empty one. */
export function parseKernelLogLine(line: string): KernelLogRecord | undefined {
  if (line === '' || line.startsWith(' ')) return undefined;
  const kmsg = KMSG.exec(line);
  if (kmsg) return { seq: Number(kmsg[1]), bootUs: Number(kmsg[2]), text: kmsg[3]! };
  return { text: line.replace(DMESG_TIME, '') };
}

/** An NVRM Xid line, as the driver prints it. */
export interface XidLine {
  /** PCI domain:bus:device as numbers, the key the GPU map uses (see pciKey). */
  pci: string;
  code: number;
  /** The driver's explanation, without the pid= and name= fields that newer drivers put first. */
  message: string;
}

// NVRM: Xid (PCI:0000:1b:00): 79, pid=1234, name=python, GPU has fallen off the bus.
// Older drivers leave out "PCI:", pid and name; the device may carry its function (.0).
const XID =
  /NVRM: Xid \((?:PCI:)?([0-9A-Fa-f]{4,8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})(?:\.[0-9A-Fa-f])?\): (\d{1,5})(?:,\s*(.*))?$/;
const PID_NAME = /^(?:pid=('[^']*'|[^,]*),\s*)?(?:name=('[^']*'|[^,]*),\s*)?/;

/** The Xid an NVRM line reports; undefined for any other kernel message. */
export function parseXidLine(text: string): XidLine | undefined {
  const m = XID.exec(text);
  if (!m) return undefined;
  const code = Number(m[4]);
  if (code > 65535) return undefined;
  return { pci: pciKey(m[1]!, m[2]!, m[3]!), code, message: (m[5] ?? '').replace(PID_NAME, '').trim() };
}

/**
 * The same key for a PCI address however it is printed: the kernel log's `0000:1b:00` and nvidia-smi's
 * `00000000:1B:00.0` both become `0:27:0`.
 */
export function pciKey(domain: string, bus: string, device: string): string {
  return `${parseInt(domain, 16)}:${parseInt(bus, 16)}:${parseInt(device, 16)}`;
}

/** pciKey of an nvidia-smi `pci.bus_id` (`00000000:1B:00.0`); undefined when it is not one. */
export function pciKeyOfBusId(busId: string): string | undefined {
  const m = /^([0-9A-Fa-f]{4,8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})(?:\.[0-9A-Fa-f])?$/.exec(busId.trim());
  return m ? pciKey(m[1]!, m[2]!, m[3]!) : undefined;
}
