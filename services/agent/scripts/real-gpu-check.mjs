#!/usr/bin/env node
// Runs the agent against the machine's real nvidia-smi for a while and prints what it published: the check to make
// whenever a machine with an NVIDIA GPU is at hand (the test suite uses a stand-in nvidia-smi and needs no GPU).
//   npx tsc -p services/agent && node services/agent/scripts/real-gpu-check.mjs [seconds=60] [out.json]
// Needs nvidia-smi and nats-server on PATH. Prints the agent's stats, the first and last messages, and per GPU which
// wire fields were present; writes every published message to out.json when given.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { parseConfig } from '@kiln/config';
import { createLogger } from '@kiln/log';
import { ensureStreams, GPU_STREAM, startNatsServer } from '@kiln/nats';
import { METRIC_NAMES } from '@kiln/wire';
import { startAgent } from '../dist/index.js';

const seconds = Number(process.argv[2] ?? 60);
const outFile = process.argv[3];
const dir = await mkdtemp(join(tmpdir(), 'kiln-real-gpu-'));
const server = await startNatsServer({ dir: join(dir, 'nats') });
const nc = await connect({ servers: server.url });
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm, { replicas: 1 });
try {
  const config = parseConfig(
    {
      data_dir: dir,
      nats: { url: server.url },
      agent: { cluster: 'gpu-check', rack: 'r0001', host: 'gpu-host', source: 'nvidia-smi' },
    },
    { env: process.env },
  );
  const agent = await startAgent(config, { log: createLogger('agent') });
  await sleep(seconds * 1000);
  await agent.stop();
  const stats = agent.stats();
  const { state } = await jsm.streams.info(GPU_STREAM);
  const messages = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(GPU_STREAM, { seq });
    if (m) messages.push({ msgId: m.header.get('Nats-Msg-Id'), ...m.json() });
  }
  const fields = {};
  for (const g of messages.at(-1)?.gpus ?? []) fields[g.gpu] = METRIC_NAMES.filter((n) => g[n] !== undefined);
  console.log(
    JSON.stringify(
      { seconds, stats, stored: messages.length, first: messages[0], last: messages.at(-1), presentFields: fields },
      null,
      2,
    ),
  );
  if (outFile) await writeFile(outFile, JSON.stringify(messages));
} finally {
  await nc.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
