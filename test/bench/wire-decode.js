// Wire contract v1 throughput: strict decode into a SampleBatch and encode, for 4-GPU messages (one GB300 compute
// tray per host) with every metric present. Bodies differ from message to message, like a stream from many hosts.
// Decode is measured twice: plain messages take the byte scanner; the same messages with one unknown field take the
// general JSON.parse path (the scanner leaves those to it), which shows what the scanner gains.
import {
  DEFAULT_DECODE_LIMITS,
  DecodeStats,
  MAX_GPUS_PER_MESSAGE,
  SampleBatch,
  decodeMessage,
  encodeMessage,
  gpuSubject,
} from '@kiln/wire';

const GPUS_PER_MESSAGE = 4;
const DISTINCT_MESSAGES = 1024;
const ROUNDS = 7;
const ROUND_MS = 300;
const NOW = 1_764_151_200_000;

function trayMessages() {
  let state = 0x6b696c6e;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const round = (x, digits) => Number(x.toFixed(digits));
  return Array.from({ length: DISTINCT_MESSAGES }, (_, i) => {
    const host = `r${String(i % 64).padStart(4, '0')}-t${String(i % 18).padStart(2, '0')}`;
    return {
      v: 1,
      cluster: 'eus2-ai1',
      rack: host.slice(0, 5),
      host,
      seq: 184467 + i,
      ts: NOW - 1000 * (DISTINCT_MESSAGES - i),
      gpus: Array.from({ length: GPUS_PER_MESSAGE }, (_, gpu) => ({
        gpu,
        uuid: `GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac12${String(i).padStart(3, '0')}${gpu}`,
        job: `llm-pretrain-${i % 7}`,
        temp_c: Math.round(60 + 20 * random()),
        mem_temp_c: Math.round(65 + 20 * random()),
        slowdown_temp_c: 87,
        mem_max_temp_c: 95,
        power_w: round(800 + 500 * random(), 1),
        power_limit_w: 1400,
        energy_j: round(8e6 + 1e6 * random(), 1),
        util_pct: Math.round(100 * random()),
        mem_util_pct: Math.round(100 * random()),
        sm_active: round(random(), 2),
        tensor_active: round(random(), 2),
        dram_active: round(random(), 2),
        sm_clock_mhz: 1965,
        mem_clock_mhz: 3996,
        fb_used_mib: Math.round(150000 + 30000 * random()),
        fb_free_mib: Math.round(30000 * random()),
        clock_events: 0,
        xid: 0,
        ecc_sbe_vol: 0,
        ecc_dbe_vol: 0,
        remapped_rows_unc: 0,
        row_remap_failure: 0,
        pcie_replay: Math.round(10 * random()),
        nvlink_bytes: Math.round(9e10 + 1e10 * random()),
      })),
    };
  });
}

function measureDecode(bodies, subjects) {
  const batch = new SampleBatch(4096);
  const stats = new DecodeStats();
  return measure((i) => {
    if (batch.free < MAX_GPUS_PER_MESSAGE) batch.clear();
    const k = i % DISTINCT_MESSAGES;
    const result = decodeMessage(subjects[k], bodies[k], NOW, DEFAULT_DECODE_LIMITS, batch, stats, i);
    if (!result.ok) throw new Error(`bench message rejected: ${result.detail}`);
  });
}

/** Runs `step(i)` in rounds of about ROUND_MS; returns the median nanoseconds per call. */
function measure(step) {
  for (let i = 0; i < 20_000; i++) step(i); // let the JIT settle
  const perCall = [];
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      for (let i = 0; i < 1000; i++) step(calls++);
      elapsed = Number(process.hrtime.bigint() - start);
    } while (elapsed < ROUND_MS * 1e6);
    perCall.push(elapsed / calls);
  }
  return perCall.sort((a, b) => a - b)[ROUNDS >> 1];
}

export async function run() {
  const messages = trayMessages();
  const encoder = new TextEncoder();
  const bodies = messages.map((m) => encoder.encode(encodeMessage(m)));
  const subjects = messages.map((m) => gpuSubject(m.cluster, m.rack, m.host));
  const meanBytes = Math.round(bodies.reduce((n, b) => n + b.byteLength, 0) / bodies.length);

  const withUnknownField = messages.map((m) => encoder.encode(encodeMessage(m).replace('{', '{"agent":"dcgm-4.2",')));
  const decodeNs = measureDecode(bodies, subjects);
  const generalDecodeNs = measureDecode(withUnknownField, subjects);

  let encodedChars = 0;
  const encodeNs = measure((i) => {
    encodedChars += encodeMessage(messages[i % DISTINCT_MESSAGES]).length;
  });
  if (encodedChars === 0) throw new Error('encoder produced nothing');

  const note = `${GPUS_PER_MESSAGE} GPUs x 24 metrics per message, ~${meanBytes} B body, one core, median of ${ROUNDS}`;
  return [
    {
      name: 'wire decode GPU-samples/s',
      value: Math.round((1e9 / decodeNs) * GPUS_PER_MESSAGE),
      unit: 'samples/s',
      note,
    },
    { name: 'wire decode messages/s', value: Math.round(1e9 / decodeNs), unit: 'msg/s', note },
    {
      name: 'wire decode per GPU-sample',
      value: Math.round(decodeNs / GPUS_PER_MESSAGE),
      unit: 'ns',
      note: 'byte scanner: parse, validate, columnar write',
    },
    {
      name: 'wire decode GPU-samples/s, general path',
      value: Math.round((1e9 / generalDecodeNs) * GPUS_PER_MESSAGE),
      unit: 'samples/s',
      note: 'same messages plus one unknown field: UTF-8 check, JSON.parse, validate',
    },
    { name: 'wire encode messages/s', value: Math.round(1e9 / encodeNs), unit: 'msg/s', note },
    { name: 'wire encode per message', value: Math.round(encodeNs), unit: 'ns', note },
  ];
}
