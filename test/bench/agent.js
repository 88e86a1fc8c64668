// The agent's footprint on a GPU host, and how fast it catches up after an outage.
// - cpu/rss: kiln-agent runs as its own process (bin/kiln-agent.js, as systemd starts it) for one GB300 tray (4 GPUs)
//   at the default 1 s interval, reading the stand-in nvidia-smi (test fixture, same CLI and output format) and
//   publishing to a real nats-server. CPU is the agent process's own user+system time over a steady-state window
//   (nvidia-smi's own cost is not included: it is NVIDIA's process, not ours); RSS is the resident set at the end.
// - replay: an agent starts with a spool of queued 4-GPU messages (as left by an outage) and drains it into
//   JetStream; messages per second until the spool is empty.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStreams, GPU_STREAM, startNatsServer } from '@kiln/nats';
import { parseConfig } from '@kiln/config';
import { Fleet } from '@kiln/simulator';
import { encodeMessage, gpuSubject, messageId } from '@kiln/wire';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const agentDir = join(repo, 'services', 'agent');
const WARMUP_MS = 6_000;
const WINDOW_MS = 30_000;
const REPLAY_MESSAGES = 20_000;

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-agent-'));
  const server = await startNatsServer({ dir: join(dir, 'nats') });
  const nc = await connect({ servers: server.url });
  try {
    await ensureStreams(await jetstreamManager(nc), { replicas: 1 });
    const footprint = await measureFootprint(dir, server.url);
    const replay = await measureReplay(dir, server.url);
    return [...footprint, ...replay];
  } finally {
    await nc.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureFootprint(dir, url) {
  const state = join(dir, 'nvidia-smi.json');
  await writeFile(state, JSON.stringify({ limits: 'absolute', gpus: gpus(4) }));
  const config = join(dir, 'agent.yaml');
  await writeFile(
    config,
    JSON.stringify({
      data_dir: join(dir, 'agent-data'),
      nats: { url },
      agent: {
        cluster: 'bench',
        rack: 'r0001',
        host: 'r0001-t01',
        source: 'nvidia-smi',
        nvidia_smi: join(agentDir, 'test', 'fixtures', 'nvidia-smi.mjs'),
      },
    }),
  );
  const child = spawn(process.execPath, [join(agentDir, 'bin', 'kiln-agent.js'), '--config', config], {
    env: { ...process.env, FAKE_NVIDIA_SMI_STATE: state, KILN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await sleep(WARMUP_MS);
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const t0 = performance.now();
    const cpu0 = await cpuTicks(child.pid);
    await sleep(WINDOW_MS);
    const cpu1 = await cpuTicks(child.pid);
    const seconds = (performance.now() - t0) / 1000;
    const rss = await rssKiB(child.pid);
    const cpuSeconds = (cpu1 - cpu0) / hz;
    return [
      {
        name: 'cpu, 4 GPUs at 1 s (nvidia-smi source)',
        value: (cpuSeconds / seconds) * 100,
        unit: '% of a core',
        note: `${seconds.toFixed(0)} s window, agent process only`,
      },
      { name: 'cpu per tick', value: (cpuSeconds / seconds) * 1000, unit: 'ms', note: 'read, encode, publish, PubAck' },
      { name: 'rss, 4 GPUs at 1 s', value: rss / 1024, unit: 'MiB', note: `node ${process.version}` },
    ];
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function measureReplay(dir, url) {
  // A spool as an outage leaves it: REPLAY_MESSAGES 4-GPU messages, oldest first, in the agent's segment format.
  const spoolDir = join(dir, 'replay-spool');
  await mkdir(join(spoolDir, 'spool'), { recursive: true });
  const host = 'r0001-t02';
  const subject = gpuSubject('bench', 'r0001', host);
  const start = Date.now() - REPLAY_MESSAGES * 10;
  const fleet = new Fleet({ cluster: 'bench', racks: 1, seed: 1, startMs: start, intervalMs: 10 });
  const lines = [];
  for (let i = 0; i < REPLAY_MESSAGES; i++) {
    const message = fleet.tickShared().find((m) => m.host === 'r0001-t01');
    const body = encodeMessage({ ...message, rack: 'r0001', host, seq: i + 1 });
    lines.push(`${message.ts} ${subject} ${messageId(host, i + 1)} ${body}\n`);
  }
  await writeFile(join(spoolDir, 'spool', '000000000001.seg'), lines.join(''));
  await writeFile(join(spoolDir, 'seq'), `${REPLAY_MESSAGES + 1}\n`);
  const bytes = lines.reduce((n, l) => n + l.length, 0);

  const { startAgent } = await import(join(agentDir, 'dist', 'index.js'));
  const { silentLogger } = await import('@kiln/log');
  const config = parseConfig(
    {
      data_dir: dir,
      nats: { url },
      agent: { cluster: 'bench', rack: 'r0001', host, source: 'sim', interval_ms: 1000, spool_dir: spoolDir },
    },
    { env: {} },
  );
  const t0 = performance.now();
  const agent = await startAgent(config, { log: silentLogger() });
  while (agent.stats().replayed < REPLAY_MESSAGES) await sleep(20);
  const seconds = (performance.now() - t0) / 1000;
  await agent.stop();
  const stored = await storedFor(url, subject);
  return [
    {
      name: 'spool replay',
      value: REPLAY_MESSAGES / seconds,
      unit: 'msg/s',
      note: `${REPLAY_MESSAGES} queued 4-GPU messages (${(bytes / 2 ** 20).toFixed(1)} MiB), window 64`,
    },
    {
      name: 'spool replay, samples',
      value: (REPLAY_MESSAGES * 4) / seconds,
      unit: 'GPU-samples/s',
      note: `stream holds ${stored} of them afterwards`,
    },
  ];
}

async function storedFor(url, subject) {
  const nc = await connect({ servers: url });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(GPU_STREAM, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  } finally {
    await nc.close();
  }
}

async function cpuTicks(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function rssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

function gpus(n) {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    uuid: `GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac12000${i}`,
    busId: `0000${(8 + i).toString(16).padStart(4, '0')}:01:00.0`,
    values: {
      'temperature.gpu': 70 + i,
      'temperature.memory': 78 + i,
      'power.draw': 1043.52,
      'enforced.power.limit': 1400,
      'utilization.gpu': 98,
      'utilization.memory': 41,
      'clocks.sm': 1965,
      'clocks.mem': 3996,
      'memory.used': 172311,
      'memory.free': 11857,
      'clocks_event_reasons.active': '0x0000000000000000',
      'ecc.errors.corrected.volatile.total': 0,
      'ecc.errors.uncorrected.volatile.total': 0,
      'temperature.gpu.tlimit': 15 - i,
      'module.power.draw.average': 2710.4,
      'module.enforced.power.limit': 2900,
      'fabric.state': 'Completed',
      'fabric.status': 'Success',
    },
    slowdown: 87,
    shutdown: 92,
    maxOp: 85,
    memMax: 95,
    // What a GB300 also reports: 18 NVLink links with their error counters, and its fabric clique.
    links: Array.from({ length: 18 }, () => '53.125 GB/s'),
    linkErrors: Array.from({ length: 18 }, () => ({ replay: 0, recovery: 0, crc: 0 })),
    fabric: { state: 'Completed', status: 'Success', cliqueId: '32766' },
  }));
}
