import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startHttpReceiver, startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject } from '@kiln/wire';
import { startAgent } from '../src/index.js';
import { adminConnection, agentUser, authorization, quiet, readSubject, testConfig } from './support.js';

const BLANK = '9223372036854775794'; // DCGM_INT64_BLANK + 2 (NOT_SUPPORTED), as the exporter prints it

/** dcgm-exporter's /metrics for four GPUs, labelled as exporter 4.x does (`Hostname`, or `hostname` since #655). */
function exposition(hostLabel: 'Hostname' | 'hostname', temp: number): string {
  const series: [string, string, (g: number) => string][] = [
    ['DCGM_FI_DEV_SM_CLOCK', 'SM clock frequency (in MHz).', () => '1965'],
    ['DCGM_FI_DEV_MEM_CLOCK', 'Memory clock frequency (in MHz).', () => '3996'],
    ['DCGM_FI_DEV_MEMORY_TEMP', 'Memory temperature (in C).', (g) => (g === 1 ? BLANK : String(78 + g))],
    ['DCGM_FI_DEV_GPU_TEMP', 'GPU temperature (in C).', (g) => String(temp + g)],
    ['DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).', (g) => (1043.5 + g).toFixed(3)],
    [
      'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
      'Total energy consumption since boot (in mJ).',
      (g) => String(8811200400 + g),
    ],
    ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'Total number of PCIe retries.', () => '0'],
    ['DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', () => '98'],
    ['DCGM_FI_DEV_MEM_COPY_UTIL', 'Memory utilization (in %).', () => '41'],
    ['DCGM_FI_DEV_XID_ERRORS', 'Value of the last XID error encountered.', (g) => (g === 3 ? '48' : '0')],
    ['DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', () => '11857'],
    ['DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', () => '172311'],
    ['DCGM_FI_DEV_VGPU_LICENSE_STATUS', 'vGPU License status', () => '0'],
    ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'Number of remapped rows for uncorrectable errors', () => '0'],
    ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'Whether remapping of rows has failed', () => '0'],
    [
      'DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL',
      'Total number of NVLink bandwidth counters for all lanes.',
      () => '91827364500',
    ],
    ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'Ratio of time the graphics engine is active.', () => '0.950000'],
    ['DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', 'Ratio of cycles the tensor (HMMA) pipe is active.', () => '0.660000'],
    [
      'DCGM_FI_PROF_DRAM_ACTIVE',
      'Ratio of cycles the device memory interface is active sending or receiving data.',
      () => '0.520000',
    ],
    ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'Current clock event reasons (bitmask).', (g) => (g === 2 ? '100' : '0')],
  ];
  const lines: string[] = [];
  for (const [name, help, value] of series) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (let g = 0; g < 4; g++) {
      lines.push(
        `${name}{gpu="${g}",UUID="GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e8${g}",pci_bus_id="0000${(8 + g).toString(16).padStart(4, '0')}:01:00.0",device="nvidia${g}",` +
          `modelName="NVIDIA GB300",${hostLabel}="r0042-t07",DCGM_FI_DRIVER_VERSION="580.126.20"} ${value(g)}`,
      );
    }
  }
  // A MIG instance of GPU 0: the wire carries whole GPUs, so its series must not overwrite GPU 0's.
  lines.push(
    `DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e80",GPU_I_PROFILE="1g.35gb",GPU_I_ID="3",${hostLabel}="r0042-t07"} 5`,
  );
  return lines.join('\n') + '\n';
}

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('scrapes dcgm-exporter: fields by id, sentinels dropped, mJ to J, host named by the exporter', async () => {
  let text = exposition('Hostname', 70);
  const exporter = await startHttpReceiver((_req, _n, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
  });
  cleanup.push(() => exporter.close());
  const server = await startTestNatsServer(authorization('c1', 'r0042', ['r0042-t07']));
  cleanup.push(() => server.dispose());
  const dir = await tempDir('kiln-agent-dcgm-');
  cleanup.push(() => dir.remove());
  const admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());

  // Only the cluster is configured: the exporter's Hostname label names the host, whose name names the rack.
  const agent = await startAgent(
    testConfig({
      nats: { url: server.url, ...agentUser('r0042-t07') },
      agent: {
        cluster: 'c1',
        source: 'dcgm',
        dcgm_url: `${exporter.url}/metrics`,
        interval_ms: 200,
        spool_dir: join(dir.path, 'a'),
      },
    }),
    { log: quiet, hostname: 'dcgm-exporter-pod-x7k2q' },
  );
  cleanup.push(() => agent.stop());
  expect(agent.identity).toEqual({ cluster: 'c1', rack: 'r0042', host: 'r0042-t07' });
  const subject = gpuSubject('c1', 'r0042', 'r0042-t07');

  const first = await waitUntil('a message', async () => (await readSubject(admin.jsm, subject)).at(-1), 20_000);
  const gpus = first.message.gpus;
  expect(gpus.map((g) => g.uuid)).toEqual([0, 1, 2, 3].map((g) => `GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e8${g}`));
  expect(gpus[0]).toEqual({
    gpu: 0,
    uuid: 'GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e80',
    temp_c: 70,
    mem_temp_c: 78,
    power_w: 1043.5,
    energy_j: 8811200.4,
    util_pct: 98,
    mem_util_pct: 41,
    tensor_active: 0.66,
    dram_active: 0.52,
    sm_clock_mhz: 1965,
    mem_clock_mhz: 3996,
    fb_used_mib: 172311,
    fb_free_mib: 11857,
    clock_events: 0,
    xid: 0,
    remapped_rows_unc: 0,
    row_remap_failure: 0,
    pcie_replay: 0,
    nvlink_bytes: 91827364500,
  });
  expect(gpus[1]).not.toHaveProperty('mem_temp_c');
  expect(gpus[1]!.temp_c).toBe(71);
  expect(gpus[2]!.clock_events).toBe(100);
  expect(gpus[3]!.xid).toBe(48);

  // The exporter is upgraded: the label is now spelled `hostname`; readings keep flowing under the same name.
  text = exposition('hostname', 75);
  const next = await waitUntil(
    'a message from the upgraded exporter',
    async () => {
      const last = (await readSubject(admin.jsm, subject)).at(-1)!;
      return last.message.gpus[0]!.temp_c === 75 ? last : undefined;
    },
    10_000,
  );
  expect(next.message.gpus[3]!.temp_c).toBe(78);
  expect(agent.stats()).toMatchObject({ collectorFailures: 0, collectorRejected: 0, missingGpus: [] });
});

/**
 * dcgm-exporter with the NVLink error counters and the Grace-Blackwell fields enabled in its counters CSV (they are
 * off in the default one), on a host where GPUs 0-1 run Slurm job 4471902 (hpc_job, from the exporter's HPC job
 * mapping), GPU 2 a Kubernetes pod, GPU 3 nothing. GPU 3's NVLink counters read NOT_SUPPORTED, as on parts where
 * DCGM cannot collect them.
 */
function graceBlackwellExposition(): string {
  const series: [string, (g: number) => string][] = [
    ['DCGM_FI_DEV_GPU_TEMP', (g) => String(70 + g)],
    ['DCGM_FI_DEV_GPU_TEMP_LIMIT', (g) => String(14 - g)],
    ['DCGM_FI_DEV_FABRIC_CLIQUE_ID', () => '32766'],
    // Data before flit: the sum must not depend on the order the exporter lists them in.
    ['DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL', (g) => (g === 3 ? BLANK : String(g))],
    ['DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', (g) => (g === 3 ? BLANK : String(10 * g))],
    ['DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL', (g) => (g === 3 ? BLANK : String(100 + g))],
    ['DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL', (g) => (g === 3 ? BLANK : String(g))],
  ];
  const jobLabels = [
    'hpc_job="4471902"',
    'hpc_job="4471902"',
    'namespace="llm-train",pod="pretrain-7b-worker-3",container="trainer"',
    '',
  ];
  const lines: string[] = [];
  for (const [name, value] of series) {
    lines.push(`# TYPE ${name} gauge`);
    for (let g = 0; g < 4; g++) {
      const job = jobLabels[g] === '' ? '' : `,${jobLabels[g]}`;
      lines.push(
        `${name}{gpu="${g}",UUID="GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e8${g}",modelName="NVIDIA GB300",hostname="r0043-t02"${job}} ${value(g)}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

it('scrapes the Grace-Blackwell fields and the job labels: CRC flit and data errors summed, blanks absent', async () => {
  const exporter = await startHttpReceiver((_req, _n, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(graceBlackwellExposition());
  });
  cleanup.push(() => exporter.close());
  const server = await startTestNatsServer(authorization('c1', 'r0043', ['r0043-t02']));
  cleanup.push(() => server.dispose());
  const dir = await tempDir('kiln-agent-dcgm-gb-');
  cleanup.push(() => dir.remove());
  const admin = await adminConnection(server.url);
  cleanup.push(() => admin.nc.close());
  const agent = await startAgent(
    testConfig({
      nats: { url: server.url, ...agentUser('r0043-t02') },
      agent: {
        cluster: 'c1',
        source: 'dcgm',
        dcgm_url: `${exporter.url}/metrics`,
        interval_ms: 200,
        spool_dir: join(dir.path, 'a'),
      },
    }),
    { log: quiet },
  );
  cleanup.push(() => agent.stop());

  const { message } = await waitUntil(
    'a message',
    async () => (await readSubject(admin.jsm, gpuSubject('c1', 'r0043', 'r0043-t02'))).at(-1),
    20_000,
  );
  const [g0, g1, g2, g3] = message.gpus;
  expect(g1).toEqual({
    gpu: 1,
    uuid: 'GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e81',
    job: '4471902',
    temp_c: 71,
    temp_margin_c: 13,
    fabric_clique: 32766,
    nvlink_crc_errors: 11,
    nvlink_replay_errors: 101,
    nvlink_recovery_errors: 1,
  });
  expect(g0!.job).toBe('4471902');
  expect(g0!.nvlink_crc_errors).toBe(0);
  expect(g2!.job).toBe('llm-train/pretrain-7b-worker-3');
  expect(g3).toEqual({
    gpu: 3,
    uuid: 'GPU-0aa1b2c3-d4e5-f607-1829-3a4b5c6d7e83',
    temp_c: 73,
    temp_margin_c: 11,
    fabric_clique: 32766,
  });
});
