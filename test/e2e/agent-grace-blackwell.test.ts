import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStreams, GPU_STREAM } from '@kiln/nats';
import { startTestNatsServer, tempDir, waitUntil } from '@kiln/testkit';
import { gpuSubject, type WireMessage } from '@kiln/wire';
import { spawnKiln } from '../support/kiln-process.js';

/**
 * `kiln agent` on a GB300 tray, as an operator runs it: a real child process reading the agent tests' stand-in
 * nvidia-smi (same command line and output formats: --query-gpu rows, -q, nvlink -s and -e, --query-compute-apps), with a
 * fake /proc where one GPU's process belongs to a Slurm job, publishing to a real nats-server.
 */
const FAKE_NVIDIA_SMI = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'services',
  'agent',
  'test',
  'fixtures',
  'nvidia-smi.mjs',
);
const uuid = (i: number): string => `GPU-5e1c7a02-9b3f-4d21-8c6e-1f0a2b3c4d5${i}`;

function gb300Tray(): unknown {
  const gpus = [0, 1, 2, 3].map((i) => {
    const forming = i === 3; // the fabric of GPU 3 is still forming: clique 0, status N/A, module power N/A
    return {
      index: i,
      uuid: uuid(i),
      busId: `0000${(8 + i).toString(16).padStart(4, '0')}:01:00.0`,
      values: {
        'temperature.gpu': 71 + i,
        'temperature.memory': 78,
        'power.draw': 1043.52,
        'enforced.power.limit': 1400,
        'utilization.gpu': 98,
        'clocks_event_reasons.active': '0x0000000000000000',
        'temperature.gpu.tlimit': 14 - i,
        ...(forming
          ? {}
          : { 'module.power.draw.average': 2710.4, 'module.enforced.power.limit': 2900, 'fabric.status': 'Success' }),
        'fabric.state': forming ? 'In Progress' : 'Completed',
      },
      slowdown: 87,
      maxOp: 85,
      fabric: { state: forming ? 'In Progress' : 'Completed', cliqueId: forming ? '0' : '32766' },
      // nvlink -s: 18 NVLink5 links, link 7 of GPU 2 down; GPU 3 prints no link lines (count unknown).
      links: forming
        ? undefined
        : Array.from({ length: 18 }, (_, l) => (i === 2 && l === 7 ? '<inactive>' : '53.125 GB/s')),
      // nvlink -e: GPU 0 has 5 CRC errors on link 2; GPU 3's counters read N/A.
      linkErrors: Array.from({ length: 18 }, (_, l) =>
        forming
          ? { replay: 'N/A', recovery: 'N/A', crc: 'N/A' }
          : { replay: 0, recovery: 0, crc: i === 0 && l === 2 ? 5 : 0 },
      ),
    };
  });
  return {
    limits: 'tlimit',
    chassisSerial: '1821725000123',
    gpus,
    apps: [
      { uuid: uuid(0), pid: 81234 },
      { uuid: uuid(1), pid: 81300 },
    ],
  };
}

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

it('kiln agent publishes the Grace-Blackwell fields and the Slurm job of each GPU, absent where the source has none', async () => {
  const dir = await tempDir('kiln-e2e-agent-gb-');
  cleanup.push(() => dir.remove());
  const nats = await startTestNatsServer();
  cleanup.push(() => nats.dispose());
  const nc = await connect({ servers: nats.url });
  cleanup.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, { replicas: 1 });

  const proc = join(dir.path, 'proc');
  await mkdir(join(proc, '81234'), { recursive: true });
  await writeFile(join(proc, '81234', 'environ'), 'PATH=/usr/bin\0SLURM_JOB_ID=4471902\0SLURM_PROCID=0\0');
  await mkdir(join(proc, '81300'), { recursive: true });
  await writeFile(join(proc, '81300', 'environ'), 'PATH=/usr/bin\0HOME=/root\0'); // a process outside Slurm
  const state = join(dir.path, 'nvidia-smi.json');
  await writeFile(state, JSON.stringify(gb300Tray()));
  const config = join(dir.path, 'kiln.yaml');
  await writeFile(
    config,
    JSON.stringify({
      data_dir: join(dir.path, 'data'),
      nats: { url: nats.url },
      agent: {
        cluster: 'c1',
        rack: 'r0043',
        host: 'r0043-t02',
        source: 'nvidia-smi',
        nvidia_smi: FAKE_NVIDIA_SMI,
        interval_ms: 200,
        proc_root: proc,
      },
    }),
  );
  const agent = spawnKiln('agent', ['agent', '--config', config], { FAKE_NVIDIA_SMI_STATE: state });
  cleanup.push(() => agent.stop());

  const subject = gpuSubject('c1', 'r0043', 'r0043-t02');
  const message = await waitUntil(
    'a message from kiln agent',
    async () => {
      const m = await jsm.streams.getMessage(GPU_STREAM, { last_by_subj: subject }).catch(() => null);
      return m ? m.json<WireMessage>() : undefined;
    },
    60_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${agent.tail()}`);
  });
  const [g0, g1, g2, g3] = message.gpus;
  expect(g0).toMatchObject({
    uuid: uuid(0),
    job: '4471902',
    temp_margin_c: 14,
    module_power_w: 2710.4,
    module_power_limit_w: 2900,
    nvlink_links_inactive: 0,
    fabric_state: 3,
    fabric_status: 0,
    fabric_clique: 32766,
    nvlink_crc_errors: 5,
    nvlink_replay_errors: 0,
    nvlink_recovery_errors: 0,
  });
  expect(g1).not.toHaveProperty('job');
  expect(g2).toMatchObject({ nvlink_links_inactive: 1, temp_margin_c: 12 });
  expect(g3).toMatchObject({ fabric_state: 2, fabric_clique: 0, temp_margin_c: 11 });
  for (const absent of [
    'module_power_w',
    'module_power_limit_w',
    'fabric_status',
    'nvlink_links_inactive',
    'nvlink_crc_errors',
    'nvlink_replay_errors',
    'nvlink_recovery_errors',
    'job',
  ]) {
    expect(g3).not.toHaveProperty(absent);
  }
});
