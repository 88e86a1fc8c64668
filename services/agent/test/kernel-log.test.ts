import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir, waitUntil } from '@kiln/testkit';
import { parseGpuBusCsv } from '../src/events/gpu-bus-map.js';
import { parseKernelLogLine, parseXidLine, pciKeyOfBusId } from '../src/events/kernel-log-record.js';
import { KernelLogReader } from '../src/events/kernel-log-reader.js';
import { quiet } from './support.js';

const fixture = readFileSync(fileURLToPath(new URL('./fixtures/kernel-log/xid-lines.txt', import.meta.url)), 'utf8');
const cases = fixture
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [expected, message, line] = l.split(' | ') as [string, string, string];
    const [pci, code] = expected.trim().split(' ');
    return { pci: pci!, code: code === undefined ? undefined : Number(code), message: message.trim(), line };
  });

describe('NVRM Xid lines', () => {
  it.each(cases)('$line', ({ pci, code, message, line }) => {
    const record = parseKernelLogLine(line);
    const xid = record === undefined ? undefined : parseXidLine(record.text);
    if (pci === 'none') expect(xid).toBeUndefined();
    else expect(xid).toEqual({ pci, code, message });
  });

  it('reads kmsg records: sequence, time since boot, text; dictionary lines are skipped', () => {
    expect(
      parseKernelLogLine(
        '4,2741,5823441919,-;NVRM: Xid (PCI:0000:1b:00): 79, pid=1234, name=python, GPU has fallen off the bus.',
      ),
    ).toEqual({
      seq: 2741,
      bootUs: 5823441919,
      text: 'NVRM: Xid (PCI:0000:1b:00): 79, pid=1234, name=python, GPU has fallen off the bus.',
    });
    expect(parseKernelLogLine(' SUBSYSTEM=pci')).toBeUndefined();
    expect(parseKernelLogLine('')).toBeUndefined();
  });
});

describe('GPUs by PCI address', () => {
  it('keys nvidia-smi bus ids as the kernel log prints them', () => {
    expect(pciKeyOfBusId('00000000:1B:00.0')).toBe(
      parseXidLine('NVRM: Xid (PCI:0000:1b:00): 79, GPU has fallen off the bus.')!.pci,
    );
    expect(pciKeyOfBusId('[N/A]')).toBeUndefined();
  });

  it('maps an Xid to the GPU of real nvidia-smi output (an H100, driver 580: index, uuid, pci.bus_id lead its rows)', () => {
    const real = readFileSync(fileURLToPath(new URL('./fixtures/h100-driver-580/query.csv', import.meta.url)), 'utf8');
    const rows = real
      .split('\n')
      .map((l) => l.split(',').slice(0, 3).join(','))
      .join('\n');
    const xid = parseXidLine('NVRM: Xid (PCI:0000:00:06): 79, pid=1234, name=python, GPU has fallen off the bus.')!;
    expect(parseGpuBusCsv(rows).get(xid.pci)).toEqual({ gpu: 0, uuid: 'GPU-0d1ef9f0-feb7-ace0-416f-f67d3ffaed3b' });
  });

  it('reads index, uuid and bus id rows, skipping what does not parse', () => {
    const csv = [
      '0, GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120000, 00000008:01:00.0',
      '1, GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120001, 00000009:01:00.0',
      ', GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002, 0000000A:01:00.0',
      '3, [N/A], 0000000B:01:00.0',
      '',
    ].join('\n');
    expect([...parseGpuBusCsv(csv)]).toEqual([
      ['8:1:0', { gpu: 0, uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120000' }],
      ['9:1:0', { gpu: 1, uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120001' }],
    ]);
  });
});

describe('KernelLogReader', () => {
  it('follows a FIFO across writers, and runs the fallback command where the path cannot be opened', async () => {
    const dir = await tempDir('kiln-kernel-log-');
    try {
      const fifo = join(dir.path, 'kmsg');
      execFileSync('mkfifo', [fifo]);
      const lines: string[] = [];
      const reader = new KernelLogReader({ path: fifo, fallbackCommand: [], log: quiet, onLine: (l) => lines.push(l) });
      // Two writers one after the other: the reader sees EOF between them and goes on reading.
      for (const batch of [['4,1,100,-;first', '4,2,200,-;second'], ['4,3,300,-;third']]) {
        const writer = createWriteStream(fifo);
        writer.end(batch.map((l) => `${l}\n`).join(''));
        await once(writer, 'close');
        await waitUntil('lines read', () => lines.length >= (batch[0]!.includes('third') ? 3 : 2), 10_000, 20);
      }
      await reader.stop();
      expect(lines).toEqual(['4,1,100,-;first', '4,2,200,-;second', '4,3,300,-;third']);

      const fromCommand: string[] = [];
      const fallback = new KernelLogReader({
        path: join(dir.path, 'no-such-device'),
        fallbackCommand: [
          process.execPath,
          '-e',
          "console.log('NVRM: Xid (PCI:0000:1b:00): 79, GPU has fallen off the bus.')",
        ],
        log: quiet,
        onLine: (l) => fromCommand.push(l),
      });
      await waitUntil('a line from the command', () => fromCommand.length > 0, 10_000, 20);
      await fallback.stop();
      expect(fromCommand[0]).toBe('NVRM: Xid (PCI:0000:1b:00): 79, GPU has fallen off the bus.');
    } finally {
      await dir.remove();
    }
  });
});
