import { describe, expect, it } from 'vitest';
import {
  DecodeStats,
  MAX_GPUS_PER_MESSAGE,
  MAX_UNKNOWN_FIELD_NAMES,
  METRICS,
  METRIC_COUNT,
  METRIC_ID,
  OTHER_UNKNOWN_FIELDS,
  SampleBatch,
  decodeMessage,
  DEFAULT_DECODE_LIMITS,
  type MetricName,
  type WireGpu,
  type WireMessage,
} from '../src/index.js';
import { Decoder, NOW, SUBJECT, exampleGpu, exampleMessage, messageFromRows, utf8 } from './fixtures.js';

function oneGpu(patch: Record<string, unknown>): WireMessage {
  return { ...exampleMessage(1), gpus: [{ ...exampleGpu(0), ...patch } as WireGpu] };
}

function faultCounts(stats: DecodeStats): Partial<Record<MetricName, number>> {
  return Object.fromEntries(
    METRICS.flatMap((m, id) => (stats.fieldFaults[id] ? [[m.name, stats.fieldFaults[id]]] : [])),
  );
}

describe('metrics that are not a finite number in range', () => {
  it('store DCGM blank sentinels as absent, count them, and keep the rest of the sample', () => {
    const decoder = new Decoder();
    const result = decoder.decode(
      oneGpu({
        mem_temp_c: 9223372036854775794,
        power_w: 140737488355328.0,
        xid: 2147483632,
        nvlink_bytes: 9223372036854775792,
      }),
    );
    expect(result).toEqual({ ok: true, rows: 1 });
    expect(faultCounts(decoder.stats)).toEqual({ mem_temp_c: 1, power_w: 1, xid: 1, nvlink_bytes: 1 });
    const expected: WireGpu = { ...exampleGpu(0) };
    delete expected.mem_temp_c;
    delete expected.power_w;
    delete expected.xid;
    delete expected.nvlink_bytes;
    expect(messageFromRows(decoder.batch, 0, 1, 184467).gpus[0]).toEqual(expected);
  });

  it('every DCGM blank sentinel lies outside the range of every metric it can reach', () => {
    const int64Blanks = [9223372036854775792, 9223372036854775793, 9223372036854775794, 9223372036854775795];
    const fp64Blank = 140737488355328.0;
    const fp64Fields: MetricName[] = ['power_w', 'power_limit_w', 'sm_active', 'tensor_active', 'dram_active'];
    for (const m of METRICS) {
      const reachable = [...int64Blanks, ...(m.name === 'energy_j' ? int64Blanks.map((mj) => mj / 1000) : [])];
      if (fp64Fields.includes(m.name)) reachable.push(fp64Blank);
      for (const blank of reachable) {
        const decoder = new Decoder();
        expect(decoder.decode(oneGpu({ [m.name]: blank }))).toEqual({ ok: true, rows: 1 });
        expect(decoder.batch.value(0, METRIC_ID[m.name]), `${m.name} = ${blank}`).toBeNaN();
        expect(faultCounts(decoder.stats)).toEqual({ [m.name]: 1 });
      }
    }
  });

  it.each([
    ['util_pct', 100.5],
    ['temp_c', -40.1],
    ['sm_active', 1.01],
    ['row_remap_failure', 2],
    ['power_w', -1],
    ['temp_c', '71'],
    ['temp_c', null],
    ['temp_c', true],
    ['temp_c', [71]],
    ['temp_c', { value: 71 }],
  ])('%s = %j is absent and counted', (name, value) => {
    const decoder = new Decoder();
    expect(decoder.decode(oneGpu({ [name]: value }))).toEqual({ ok: true, rows: 1 });
    expect(faultCounts(decoder.stats)).toEqual({ [name]: 1 });
    expect(decoder.batch.value(0, METRIC_ID[name as MetricName])).toBeNaN();
    expect(decoder.batch.value(0, METRIC_ID.fb_used_mib)).toBe(172311);
  });

  it('a number that overflows to Infinity is absent and counted', () => {
    const decoder = new Decoder();
    const body = JSON.stringify(oneGpu({ energy_j: 1 })).replace('"energy_j":1', '"energy_j":1e400');
    expect(decoder.decode(body)).toEqual({ ok: true, rows: 1 });
    expect(faultCounts(decoder.stats)).toEqual({ energy_j: 1 });
    expect(decoder.batch.value(0, METRIC_ID.energy_j)).toBeNaN();
  });

  it('accepts the ends of every physical range', () => {
    const decoder = new Decoder();
    const atMin = Object.fromEntries(METRICS.map((m) => [m.name, m.min]));
    const atMax = Object.fromEntries(METRICS.map((m) => [m.name, m.max]));
    expect(decoder.decode(oneGpu(atMin))).toEqual({ ok: true, rows: 1 });
    expect(decoder.decode(oneGpu(atMax))).toEqual({ ok: true, rows: 1 });
    expect(faultCounts(decoder.stats)).toEqual({});
    METRICS.forEach((m, id) => {
      expect(decoder.batch.value(0, id)).toBe(m.min);
      expect(decoder.batch.value(1, id)).toBe(m.max);
    });
  });

  it('keeps an absent metric (not counted) distinct from a real zero', () => {
    const decoder = new Decoder();
    const gpu: WireGpu = { gpu: 3, uuid: 'GPU-00000000-0000-0000-0000-000000000003', xid: 0 };
    expect(decoder.decode({ ...exampleMessage(1), gpus: [gpu] })).toEqual({ ok: true, rows: 1 });
    expect(decoder.batch.value(0, METRIC_ID.xid)).toBe(0);
    const absent = METRICS.filter((m) => m.name !== 'xid').map((m) => decoder.batch.value(0, METRIC_ID[m.name]));
    expect(absent).toHaveLength(METRIC_COUNT - 1);
    expect(absent.every(Number.isNaN)).toBe(true);
    expect(faultCounts(decoder.stats)).toEqual({});
    expect(decoder.batch.job[0]).toBe('');
  });

  it('overwrites values a rejected message left beyond the batch end', () => {
    const decoder = new Decoder();
    expect(decoder.decode({ ...exampleMessage(2), gpus: [exampleGpu(0), exampleGpu(0)] })).toMatchObject({ ok: false });
    const sparse: WireGpu = { gpu: 5, uuid: 'GPU-00000000-0000-0000-0000-000000000005' };
    expect(decoder.decode({ ...exampleMessage(1), gpus: [sparse] })).toEqual({ ok: true, rows: 1 });
    expect(messageFromRows(decoder.batch, 0, 1, 184467).gpus).toEqual([sparse]);
  });
});

describe('unknown fields', () => {
  it('are ignored and counted by name, at the top level and per GPU', () => {
    const decoder = new Decoder();
    const msg = {
      ...exampleMessage(2),
      agent: { version: '1.2.0' },
      gpus: [
        { ...exampleGpu(0), fan_pct: 40, serial: '1652922000123' },
        { ...exampleGpu(1), fan_pct: 38, temp_c: 1000 },
      ],
    };
    expect(decoder.decode(msg)).toEqual({ ok: true, rows: 2 });
    expect(Object.fromEntries(decoder.stats.unknownFields)).toEqual({
      agent: 1,
      'gpus[].fan_pct': 2,
      'gpus[].serial': 1,
    });
    expect(faultCounts(decoder.stats)).toEqual({ temp_c: 1 });
    expect(messageFromRows(decoder.batch, 0, 2, 184467)).toEqual({
      ...exampleMessage(2),
      gpus: [exampleGpu(0), (({ temp_c: _, ...rest }) => rest)(exampleGpu(1))],
    });
  });

  it('keeps a bounded number of distinct names', () => {
    const decoder = new Decoder();
    const extra = Object.fromEntries(Array.from({ length: MAX_UNKNOWN_FIELD_NAMES + 10 }, (_, i) => [`x${i}`, i]));
    expect(decoder.decode({ ...exampleMessage(1), ...extra })).toEqual({ ok: true, rows: 1 });
    expect(decoder.stats.unknownFields.get(OTHER_UNKNOWN_FIELDS)).toBe(10);
    expect(decoder.stats.unknownFields.size).toBe(MAX_UNKNOWN_FIELD_NAMES + 1);
  });
});

describe('GPU entries', () => {
  it.each(['MIG-3f2a9c1e-7b4d-11ef-9a10-0242ac120002', 'MIG-GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002/1/0', 'GPU-1234'])(
    'accepts the uuid %s',
    (uuid) => {
      const decoder = new Decoder();
      expect(decoder.decode(oneGpu({ uuid }))).toEqual({ ok: true, rows: 1 });
      expect(decoder.batch.uuid[0]).toBe(uuid);
    },
  );

  it('decodes up to 8 GPUs, in array order, with their own identity and the message header', () => {
    const decoder = new Decoder();
    expect(decoder.decode(exampleMessage(1))).toEqual({ ok: true, rows: 1 });
    const order = [7, 0, 3, 1, 6, 2, 5, 4];
    const msg: WireMessage = {
      ...exampleMessage(),
      seq: 9,
      ts: NOW - 1000,
      gpus: order.map((gpu) => ({ ...exampleGpu(gpu), job: `job-${gpu}`, temp_c: 60 + gpu })),
    };
    expect(decoder.decode(msg)).toEqual({ ok: true, rows: 8 });
    const { batch } = decoder;
    expect(batch.length).toBe(9);
    expect([...batch.gpu.subarray(1, 9)]).toEqual(order);
    expect([...batch.message.subarray(0, 9)]).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(batch.job.slice(1, 9)).toEqual(order.map((gpu) => `job-${gpu}`));
    expect(new Set(batch.ts.subarray(1, 9))).toEqual(new Set([NOW - 1000]));
    expect(new Set([...batch.cluster.slice(1, 9), ...batch.rack.slice(1, 9), ...batch.host.slice(1, 9)])).toEqual(
      new Set(['eus2-ai1', 'r0042', 'r0042-t07']),
    );
    expect(messageFromRows(batch, 1, 9, 9)).toEqual(msg);
    expect(decoder.stats).toMatchObject({ accepted: 2, rows: 9 });
  });
});

describe('decodeMessage contract', () => {
  it('needs room for a whole message in the batch', () => {
    const batch = new SampleBatch(MAX_GPUS_PER_MESSAGE + 3);
    const stats = new DecodeStats();
    const body = utf8(JSON.stringify(exampleMessage(4)));
    expect(decodeMessage(SUBJECT, body, NOW, DEFAULT_DECODE_LIMITS, batch, stats, 0)).toEqual({ ok: true, rows: 4 });
    expect(() => decodeMessage(SUBJECT, body, NOW, DEFAULT_DECODE_LIMITS, batch, stats, 1)).toThrow(RangeError);
    expect(batch.length).toBe(4);
    batch.clear();
    expect(decodeMessage(SUBJECT, body, NOW, DEFAULT_DECODE_LIMITS, batch, stats, 2)).toEqual({ ok: true, rows: 4 });
  });

  it('accepts a body inside a larger buffer, as a network read delivers it', () => {
    const text = JSON.stringify(exampleMessage(2));
    const frame = utf8(`HEADER${text}TRAILER`);
    const body = frame.subarray(6, 6 + text.length);
    expect(new Decoder().decode(body)).toEqual({ ok: true, rows: 2 });
  });

  it('stats accumulate until reset', () => {
    const decoder = new Decoder();
    decoder.decode(oneGpu({ temp_c: -300, fan_pct: 1 }));
    decoder.decode({ ...exampleMessage(2), v: 2 });
    expect(decoder.stats.accepted).toBe(1);
    decoder.stats.reset();
    expect(decoder.stats).toMatchObject({ accepted: 0, rows: 0 });
    expect([...decoder.stats.fieldFaults, ...decoder.stats.rejected].every((n) => n === 0)).toBe(true);
    expect(decoder.stats.unknownFields.size).toBe(0);
  });
});
