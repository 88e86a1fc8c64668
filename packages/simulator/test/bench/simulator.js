// The fleet simulator as a load source: model ticks of a 100,000-GPU GB300 fleet (1,389 NVL72 racks), with shared
// (in-place) and fresh message objects, the same ticks encoded to wire-v1 bodies, and a replay published into a
// real nats-server JetStream stream with the bounded PubAck window. Rates are per CPU-second of this process where
// the work is all in-process, so other tenants of the machine do not skew them; the publish rate is wall-clock and
// includes the server sharing the machine.
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { encodeMessage, GPU_SUBJECTS } from '@kiln/wire';
import { Fleet, publishFleet } from '@kiln/simulator';
import { startTestNatsServer } from '@kiln/testkit';

const RACKS = 1389;
const T0 = 1_764_151_200_000;
const TICKS = 10;

function cpuSeconds(work) {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function tickFigures() {
  const fleet = new Fleet({ cluster: 'bench-ai1', racks: RACKS, seed: 1, startMs: T0 });
  for (let i = 0; i < 3; i++) fleet.tickShared(); // warm-up
  const gpus = fleet.gpuCount;
  const shared = cpuSeconds(() => {
    for (let i = 0; i < TICKS; i++) fleet.tickShared();
  });
  const fresh = cpuSeconds(() => {
    for (let i = 0; i < TICKS; i++) fleet.tick();
  });
  let bytes = 0;
  let messages = 0;
  const encoded = cpuSeconds(() => {
    for (let i = 0; i < TICKS; i++) {
      for (const m of fleet.tickShared()) {
        bytes += encodeMessage(m).length;
        messages++;
      }
    }
  });
  const note = `${gpus.toLocaleString('en-US')} GPUs, ${TICKS} ticks`;
  return [
    { name: 'tickShared: model step + in-place messages', value: (shared / TICKS) * 1000, unit: 'CPU ms/tick', note },
    { name: 'tickShared GPU-samples', value: (gpus * TICKS) / shared, unit: 'samples/CPU-s', note },
    { name: 'tick (fresh objects) GPU-samples', value: (gpus * TICKS) / fresh, unit: 'samples/CPU-s', note },
    {
      name: 'tickShared + encodeMessage',
      value: messages / encoded,
      unit: 'messages/CPU-s',
      note: `${(bytes / messages).toFixed(0)} B/message`,
    },
  ];
}

async function publishFigures() {
  const server = await startTestNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_GPU', subjects: [GPU_SUBJECTS] });
    const racks = 20;
    const ticks = 60;
    const inflight = 128;
    const fleet = new Fleet({ cluster: 'bench-ai1', racks, seed: 1, startMs: T0 });
    const started = performance.now();
    const result = await publishFleet(jetstream(nc), fleet, { mode: 'replay', ticks, inflight });
    const seconds = (performance.now() - started) / 1000;
    const stored = (await jsm.streams.info('BENCH_GPU')).state.messages;
    if (stored !== result.messages)
      throw new Error(`stream holds ${stored} messages, ${result.messages} were acknowledged`);
    const note = `${racks} racks × ${ticks} ticks, inflight ${inflight}, nats-server on loopback`;
    return [
      { name: 'publishFleet replay', value: result.messages / seconds, unit: 'messages/s', note },
      { name: 'publishFleet replay GPU-samples', value: result.samples / seconds, unit: 'samples/s', note },
    ];
  } finally {
    await nc.close();
    await server.dispose();
  }
}

export async function run() {
  return [...tickFigures(), ...(await publishFigures())];
}
