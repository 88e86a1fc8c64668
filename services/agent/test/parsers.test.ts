import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_ID } from '@kiln/wire';
import { DCGM_MAPPINGS, dcgmValue } from '../src/collectors/dcgm/dcgm-fields.js';
import { readExposition } from '../src/collectors/dcgm/exposition.js';
import { invalidFieldIn, QuerySelection } from '../src/collectors/nvidia-smi/query-fields.js';
import { parseQueryRow, parseSmiValue, QueryRow } from '../src/collectors/nvidia-smi/query-row.js';
import { parseSmiQuery } from '../src/collectors/nvidia-smi/smi-query.js';

describe('nvidia-smi --query-gpu rows', () => {
  const selection = new QuerySelection();
  const row = new QueryRow();
  const line = (cells: Record<string, string>): string =>
    selection.columns.map((c) => cells[c.name] ?? '[N/A]').join(', ');

  it('reads every column into its metric', () => {
    const ok = parseQueryRow(
      line({
        index: '3',
        uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002',
        'pci.bus_id': '00000008:01:00.0',
        'temperature.gpu': '71',
        'power.draw': '1043.52',
        'clocks_event_reasons.active': '0x0000000000000040',
        'memory.used': '172311',
      }),
      selection.columns,
      row,
    );
    expect(ok).toBe(true);
    expect(row.index).toBe(3);
    expect(row.busId).toBe('00000008:01:00.0');
    expect(row.metrics[METRIC_ID.temp_c]).toBe(71);
    expect(row.metrics[METRIC_ID.power_w]).toBe(1043.52);
    expect(row.metrics[METRIC_ID.clock_events]).toBe(0x40);
    expect(row.metrics[METRIC_ID.fb_used_mib]).toBe(172311);
    expect(row.metrics[METRIC_ID.mem_temp_c]).toBeNaN();
  });

  it('rejects lines that are not rows of the query', () => {
    expect(parseQueryRow('index, uuid, pci.bus_id', selection.columns, row)).toBe(false);
    expect(
      parseQueryRow(line({ index: '9', uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002' }), selection.columns, row),
    ).toBe(false);
    expect(parseQueryRow(line({ index: '0', uuid: 'not-a-uuid' }), selection.columns, row)).toBe(false);
    expect(
      parseQueryRow(
        line({ index: '0', uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002' }) + ', 5',
        selection.columns,
        row,
      ),
    ).toBe(false);
  });

  it('turns every not-available spelling into NaN and keeps the low 32 bits of a bitmask', () => {
    for (const text of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '[GPU requires reset]', '', 'Active']) {
      expect(parseSmiValue(text, 'decimal')).toBeNaN();
    }
    expect(parseSmiValue('0x0000000000000064', 'hex')).toBe(0x64);
    expect(parseSmiValue('0x1', 'hex')).toBe(1);
    expect(parseSmiValue('0x00000001000000FF', 'hex')).toBe(0xff);
    expect(parseSmiValue('0xZZ', 'hex')).toBeNaN();
    expect(parseSmiValue('12', 'hex')).toBe(12);
  });

  it('falls back to older field names one by one, and gives up only on a required field', () => {
    const s = new QuerySelection();
    expect(s.argument).toContain('clocks_event_reasons.active');
    expect(invalidFieldIn('Field "clocks_event_reasons.active" is not a valid field to query.')).toBe(
      'clocks_event_reasons.active',
    );
    expect(s.reject('clocks_event_reasons.active')).toBe(
      'clocks_event_reasons.active -> clocks_throttle_reasons.active',
    );
    expect(s.argument).toContain('clocks_throttle_reasons.active');
    expect(s.reject('clocks_throttle_reasons.active')).toBe('dropped clocks_throttle_reasons.active');
    expect(s.argument).not.toContain('reasons');
    expect(() => s.reject('uuid')).toThrow(/needs/);
  });
});

describe('nvidia-smi -q thermal limits', () => {
  it('reads absolute limits (older drivers) and the platform chassis serial', () => {
    const report = parseSmiQuery(`
==============NVSMI LOG==============

Attached GPUs                             : 2
GPU 00000008:01:00.0
    Platform Info
        Chassis Serial Number             : 1653922000123
    Temperature
        GPU Current Temp                  : 31 C
        GPU T.Limit Temp                  : N/A
        GPU Shutdown Temp                 : 92 C
        GPU Slowdown Temp                 : 89 C
        GPU Max Operating Temp            : 87 C
        Memory Current Temp               : 40 C
        Memory Max Operating Temp         : 95 C
GPU 00000009:01:00.0
    Temperature
        GPU Current Temp                  : N/A
        GPU Slowdown Temp                 : N/A
        Memory Max Operating Temp         : N/A
`);
    expect(report.attachedGpus).toBe(2);
    expect(report.chassisSerial).toBe('1653922000123');
    expect(report.gpus[0]).toEqual({ busId: '00000008:01:00.0', slowdownC: 89, memMaxC: 95, fabricClique: NaN });
    expect(report.gpus[1]!.slowdownC).toBeNaN();
    expect(report.gpus[1]!.memMaxC).toBeNaN();
  });

  it('derives the slowdown temperature from T.Limit headroom (newer drivers)', () => {
    // H100 output from a public capture: 33 °C now, 54 °C of headroom, slowdown at -2 °C of headroom.
    const report = parseSmiQuery(`
Attached GPUs                             : 1
GPU 00000000:18:00.0
    Temperature
        GPU Current Temp                  : 33 C
        GPU T.Limit Temp                  : 54 C
        GPU Shutdown T.Limit Temp         : -8 C
        GPU Slowdown T.Limit Temp         : -2 C
        GPU Max Operating T.Limit Temp    : 0 C
        GPU Target Temperature            : N/A
        Memory Current Temp               : 41 C
        Memory Max Operating T.Limit Temp : 0 C
`);
    expect(report.gpus).toEqual([{ busId: '00000000:18:00.0', slowdownC: 89, memMaxC: NaN, fabricClique: NaN }]);
    expect(report.chassisSerial).toBeUndefined();
  });
});

describe('nvidia-smi output captured on a real GPU', () => {
  // An NVIDIA H100 80GB HBM3, driver 580.159.04, CUDA 13.0, idle at 33 °C: `nvidia-smi -q`, `-q -d TEMPERATURE` and
  // the agent's --query-gpu line, verbatim (services/agent/scripts/real-gpu-check.mjs ran the agent there too).
  const fixture = (name: string): string =>
    readFileSync(new URL(`./fixtures/h100-driver-580/${name}`, import.meta.url), 'utf8');
  // The Fabric section reads N/A on this part: no clique, never clique 0.
  const expected = [{ busId: '00000000:00:06.0', slowdownC: 89, memMaxC: NaN, fabricClique: NaN }];

  it('finds the thermal limits in the whole -q report and in its TEMPERATURE section alone', () => {
    for (const name of ['q.txt', 'q-temperature.txt']) {
      const report = parseSmiQuery(fixture(name));
      expect(report.gpus).toEqual(expected);
      expect(report.chassisSerial).toBeUndefined(); // "Chassis Serial Number : N/A" off NVL72 racks
    }
  });

  it('reads the query line with the newest field names, which this driver accepts', () => {
    const selection = new QuerySelection();
    // Captured before Kiln asked for the Grace-Blackwell fields: the same columns as then.
    for (const name of [
      'temperature.gpu.tlimit',
      'module.power.draw.average',
      'module.power.draw.instant',
      'module.enforced.power.limit',
      'module.power.limit',
      'fabric.state',
      'fabric.status',
    ]) {
      selection.reject(name);
    }
    const row = new QueryRow();
    expect(parseQueryRow(fixture('query.csv').trim(), selection.columns, row)).toBe(true);
    expect(row.index).toBe(0);
    expect(row.uuid).toBe('GPU-0d1ef9f0-feb7-ace0-416f-f67d3ffaed3b');
    expect(row.busId).toBe('00000000:00:06.0');
    expect(row.metrics[METRIC_ID.temp_c]).toBe(33);
    expect(row.metrics[METRIC_ID.mem_temp_c]).toBe(36);
    expect(row.metrics[METRIC_ID.power_w]).toBe(71.79);
    expect(row.metrics[METRIC_ID.power_limit_w]).toBe(700);
    expect(row.metrics[METRIC_ID.sm_clock_mhz]).toBe(345);
    expect(row.metrics[METRIC_ID.mem_clock_mhz]).toBe(2619);
    expect(row.metrics[METRIC_ID.fb_free_mib]).toBe(81079);
    expect(row.metrics[METRIC_ID.clock_events]).toBe(1); // GPU idle
    expect(row.metrics[METRIC_ID.ecc_dbe_vol]).toBe(0);
  });
});

describe('Prometheus exposition (dcgm-exporter)', () => {
  it('reads names, escaped labels, values and timestamps; skips comments; counts malformed lines', () => {
    const seen: [string, string | undefined, string | undefined, number][] = [];
    const malformed = readExposition(
      [
        '# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).',
        '# TYPE DCGM_FI_DEV_GPU_TEMP gauge',
        'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a",modelName="NVIDIA \\"GB300\\"",Hostname="n1"} 71',
        'DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-b",note="a\\\\b\\nc"} 1043.5 1764151200000',
        '',
        'up 1',
        'broken{gpu="0" 1',
        'DCGM_FI_DEV_MEM_COPY_UTIL{gpu="0"} NaN',
        'novalue{gpu="0"}',
      ].join('\n'),
      (name, labels, value) =>
        seen.push([name, labels.get('gpu'), labels.get('modelName') ?? labels.get('note'), value]),
    );
    expect(seen).toEqual([
      ['DCGM_FI_DEV_GPU_TEMP', '0', 'NVIDIA "GB300"', 71],
      ['DCGM_FI_DEV_POWER_USAGE', '1', 'a\\b\nc', 1043.5],
      ['up', undefined, undefined, 1],
      ['DCGM_FI_DEV_MEM_COPY_UTIL', '0', undefined, NaN],
    ]);
    expect(malformed).toBe(2);
  });

  it('maps DCGM fields by id under both names, drops blank sentinels and converts energy to joules', () => {
    const temp = DCGM_MAPPINGS.get('DCGM_FI_DEV_GPU_TEMP')!;
    expect(DCGM_MAPPINGS.get('DCGM_FI_DEV_GPU_TEMP_CELSIUS')).toEqual(temp);
    expect(temp.metric).toBe(METRIC_ID.temp_c);
    expect(DCGM_MAPPINGS.get('DCGM_FI_DEV_CLOCK_THROTTLE_REASONS')!.metric).toBe(METRIC_ID.clock_events);
    expect(DCGM_MAPPINGS.get('DCGM_FI_DEV_GPU_TEMP_MARGIN_CELSIUS')).toEqual(
      DCGM_MAPPINGS.get('DCGM_FI_DEV_GPU_TEMP_LIMIT'),
    );
    expect(DCGM_MAPPINGS.get('DCGM_FI_DEV_GPU_TEMP_LIMIT')!.metric).toBe(METRIC_ID.temp_margin_c);
    // CRC flit (409) and data (419) errors add up in one metric.
    expect(DCGM_MAPPINGS.get('DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL')).toMatchObject({
      metric: METRIC_ID.nvlink_crc_errors,
      fieldId: 419,
      adds: true,
    });
    expect(DCGM_MAPPINGS.get('DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL')).toMatchObject({
      metric: METRIC_ID.nvlink_crc_errors,
      fieldId: 409,
      adds: true,
    });
    expect(dcgmValue(DCGM_MAPPINGS.get('DCGM_FI_DEV_MEMORY_TEMP')!, Number('9223372036854775794'))).toBeNaN();
    expect(dcgmValue(DCGM_MAPPINGS.get('DCGM_FI_DEV_XID_ERRORS')!, Number('9223372036854775792'))).toBeNaN();
    expect(dcgmValue(DCGM_MAPPINGS.get('DCGM_FI_DEV_POWER_USAGE')!, 140737488355328)).toBeNaN();
    expect(dcgmValue(DCGM_MAPPINGS.get('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION')!, 8811200400)).toBeCloseTo(8811200.4, 6);
    // NVLink counters legitimately pass 2^47 bytes: only the INT64 sentinel applies to them.
    expect(dcgmValue(DCGM_MAPPINGS.get('DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL')!, 2e14)).toBe(2e14);
  });
});
