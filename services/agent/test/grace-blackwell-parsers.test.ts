import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@kiln/testkit';
import { METRIC_ID } from '@kiln/wire';
import { fabricStateCode, fabricStatusCode } from '../src/collectors/nvidia-smi/fabric-codes.js';
import { parseNvlinkErrors, parseNvlinkStatus } from '../src/collectors/nvidia-smi/nvlink-status.js';
import { QuerySelection } from '../src/collectors/nvidia-smi/query-fields.js';
import { parseQueryRow, QueryRow } from '../src/collectors/nvidia-smi/query-row.js';
import { parseComputeApps, slurmJobsByGpu } from '../src/collectors/nvidia-smi/slurm-jobs.js';
import { parseSmiQuery } from '../src/collectors/nvidia-smi/smi-query.js';

// Built from the formats NVIDIA documents, not captured on a GB300 (see the fixture folder's README).
const documented = (name: string): string =>
  readFileSync(new URL(`./fixtures/gb300-documented-format/${name}`, import.meta.url), 'utf8');
// Captured on a real H100 (driver 580.159.04): the same sections reading N/A.
const h100 = (name: string): string =>
  readFileSync(new URL(`./fixtures/h100-driver-580/${name}`, import.meta.url), 'utf8');
const uuid = (i: number): string => `GPU-5e1c7a02-9b3f-4d21-8c6e-1f0a2b3c4d5${i}`;

describe('Grace-Blackwell fields in --query-gpu rows', () => {
  const selection = new QuerySelection();
  const rows = documented('query.csv').trim().split('\n');
  const read = (i: number): QueryRow => {
    const row = new QueryRow();
    expect(parseQueryRow(rows[i]!, selection.columns, row)).toBe(true);
    return row;
  };

  it('asks for thermal margin, module power and limit, fabric state and status', () => {
    expect(selection.argument).toContain(
      ',temperature.gpu.tlimit,module.power.draw.average,module.enforced.power.limit,fabric.state,fabric.status',
    );
  });

  it('reads them from a GB300 row, fabric words as codes', () => {
    const g0 = read(0);
    expect(g0.metrics[METRIC_ID.temp_margin_c]).toBe(14);
    expect(g0.metrics[METRIC_ID.module_power_w]).toBe(2710.4);
    expect(g0.metrics[METRIC_ID.module_power_limit_w]).toBe(2900);
    expect(g0.metrics[METRIC_ID.fabric_state]).toBe(3);
    expect(g0.metrics[METRIC_ID.fabric_status]).toBe(0);
  });

  it('leaves [N/A] absent: module power off a module, status while the fabric forms', () => {
    const g3 = read(3);
    expect(g3.metrics[METRIC_ID.fabric_state]).toBe(2);
    expect(g3.metrics[METRIC_ID.fabric_status]).toBeNaN();
    expect(g3.metrics[METRIC_ID.module_power_w]).toBeNaN();
    expect(g3.metrics[METRIC_ID.module_power_limit_w]).toBeNaN();
    expect(g3.metrics[METRIC_ID.temp_margin_c]).toBe(11);
  });

  it('drops each field a driver too old to know it rejects, keeping the rest', () => {
    const s = new QuerySelection();
    expect(s.reject('fabric.state')).toBe('dropped fabric.state');
    expect(s.reject('module.power.draw.average')).toBe('module.power.draw.average -> module.power.draw.instant');
    expect(s.argument).not.toContain('fabric.state');
    expect(s.argument).toContain('fabric.status');
  });
});

describe('fabric state and status words', () => {
  it('maps NVML fabric states and statuses to the wire codes', () => {
    expect(
      ['Not Supported', 'Not Started', 'In Progress', 'Completed', 'COMPLETED', 'in_progress', '3'].map(
        fabricStateCode,
      ),
    ).toEqual([0, 1, 2, 3, 3, 2, 3]);
    expect(['Success', '0', '27', '0x1b'].map(fabricStatusCode)).toEqual([0, 0, 27, 27]);
  });

  it('keeps not-available spellings and unknown words absent, never 0', () => {
    for (const text of ['N/A', '', 'Unknown', '7']) expect(fabricStateCode(text)).toBeNaN();
    for (const text of ['N/A', '', 'Not Ready', '-1', '4294967296']) expect(fabricStatusCode(text)).toBeNaN();
  });
});

describe('nvidia-smi -q: the fabric clique', () => {
  it('reads each GB300 GPU clique, 0 for the GPU whose fabric is still forming', () => {
    const report = parseSmiQuery(documented('q.txt'));
    expect(report.chassisSerial).toBe('1821725000123');
    expect(report.gpus.map((g) => g.fabricClique)).toEqual([32766, 32766, 32766, 0]);
    // T.Limit form: current + headroom − slowdown headroom.
    expect(report.gpus.map((g) => g.slowdownC)).toEqual([87, 87, 87, 87]);
  });

  it('leaves it absent where the Fabric section reads N/A (real H100 output)', () => {
    expect(parseSmiQuery(h100('q.txt')).gpus[0]!.fabricClique).toBeNaN();
  });
});

describe('nvidia-smi nvlink -s', () => {
  it('counts the inactive links of each GPU', () => {
    const inactive = parseNvlinkStatus(documented('nvlink-s.txt'));
    expect([...inactive]).toEqual([
      [uuid(0), 0],
      [uuid(1), 0],
      [uuid(2), 1],
      [uuid(3), 0],
    ]);
  });

  it('leaves out a GPU without link lines, and counts a link with no speed as inactive', () => {
    const inactive = parseNvlinkStatus(
      [
        'GPU 0: NVIDIA H100 PCIe (UUID: GPU-aaaaaaaa-0000-0000-0000-000000000000)',
        'NVML: Unable to retrieve NVLink information as all links are inActive',
        'GPU 1: NVIDIA GB300 (UUID: GPU-bbbbbbbb-0000-0000-0000-000000000000)',
        '\t Link 0: 53.125 GB/s',
        '\t Link 1: <inactive>',
        '\t Link 2: N/A',
      ].join('\n'),
    );
    expect([...inactive]).toEqual([['GPU-bbbbbbbb-0000-0000-0000-000000000000', 2]]);
  });
});

describe('nvidia-smi nvlink -e', () => {
  it("sums each counter over the GPU's links, absent where a link reads N/A", () => {
    const errors = parseNvlinkErrors(documented('nvlink-e.txt'));
    expect(errors.get(uuid(0))).toEqual({ crc: 0, replay: 0, recovery: 0 });
    expect(errors.get(uuid(1))).toEqual({ crc: 14, replay: 3, recovery: 1 });
    expect(errors.get(uuid(3))).toEqual({ crc: NaN, replay: NaN, recovery: NaN });
  });

  it('leaves a counter no line names absent, and a GPU with no lines out', () => {
    const errors = parseNvlinkErrors(
      [
        'GPU 0: NVIDIA GB300 (UUID: GPU-aaaaaaaa-0000-0000-0000-000000000000)',
        '\t Link 0: CRC Errors: 7',
        'GPU 1: NVIDIA GB300 (UUID: GPU-bbbbbbbb-0000-0000-0000-000000000000)',
      ].join('\n'),
    );
    expect([...errors]).toEqual([['GPU-aaaaaaaa-0000-0000-0000-000000000000', { crc: 7, replay: NaN, recovery: NaN }]]);
  });
});

describe('Slurm jobs of the processes on each GPU', () => {
  let proc: { path: string; remove(): Promise<void> };
  const environ = async (pid: number, vars: Record<string, string>): Promise<void> => {
    await mkdir(join(proc.path, String(pid)), { recursive: true });
    await writeFile(
      join(proc.path, String(pid), 'environ'),
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}\0`)
        .join(''),
    );
  };

  beforeAll(async () => {
    proc = await tempDir('kiln-fake-proc-');
    await environ(81234, { PATH: '/usr/bin', SLURM_JOB_ID: '4471902', SLURM_PROCID: '0' });
    // GPU 1 holds two processes: a monitoring tool with no job (lower pid), then the job's rank.
    await environ(81235, { PATH: '/usr/bin' });
    await environ(81236, { SLURM_JOB_ID: '4471902', SLURM_LOCALID: '1' });
    // 90001 has exited by the time its environment is read: no file.
  });
  afterAll(async () => proc?.remove());

  it('lists the pids on each GPU uuid', () => {
    expect([...parseComputeApps(documented('compute-apps.csv'))]).toEqual([
      [uuid(0), [81234]],
      [uuid(1), [81235, 81236]],
      [uuid(2), [90001]],
    ]);
    expect(parseComputeApps('No running processes found\n').size).toBe(0);
  });

  it("takes each GPU's job from its processes' SLURM_JOB_ID, and none where no process has one", async () => {
    const jobs = await slurmJobsByGpu(documented('compute-apps.csv'), proc.path);
    expect([...jobs]).toEqual([
      [uuid(0), '4471902'],
      [uuid(1), '4471902'],
    ]);
  });
});
