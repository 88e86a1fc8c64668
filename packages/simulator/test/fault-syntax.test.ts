import { describe, expect, it } from 'vitest';
import { FaultSyntaxError, formatFault, parseFault, parseFaults, validateFault, type Fault } from '../src/index.js';

describe('parseFault', () => {
  it('reads host, GPU, start and duration', () => {
    expect(parseFault('overheat:r0001-t03/2@120s+300s')).toEqual({
      kind: 'overheat',
      host: 'r0001-t03',
      gpu: 2,
      startMs: 120_000,
      endMs: 420_000,
    });
  });

  it('reads a parameter, compound durations, and open-ended windows', () => {
    expect(parseFault('xid=48:r0002-t11/0@10m')).toEqual({
      kind: 'xid',
      host: 'r0002-t11',
      gpu: 0,
      startMs: 600_000,
      endMs: Infinity,
      code: 48,
    });
    expect(parseFault('xid_storm=119:r0002-t11/0@10m+30s')).toEqual({
      kind: 'xid_storm',
      host: 'r0002-t11',
      gpu: 0,
      startMs: 600_000,
      endMs: 630_000,
      code: 119,
    });
    expect(parseFault('straggler=0.3:r0001-t01@1h30m+500ms')).toEqual({
      kind: 'straggler',
      host: 'r0001-t01',
      startMs: 5_400_000,
      endMs: 5_400_500,
      slowdown: 0.3,
    });
    expect(parseFault('rack_cooling=25:r0003@5m+15m')).toEqual({
      kind: 'rack_cooling',
      rack: 'r0003',
      startMs: 300_000,
      endMs: 1_200_000,
      riseC: 25,
    });
    expect(parseFault(' offline:r0001-t09@0s+30s ')).toEqual({
      kind: 'offline',
      host: 'r0001-t09',
      startMs: 0,
      endMs: 30_000,
    });
  });

  it('makes counter_reset an instant reload unless given a duration', () => {
    expect(parseFault('counter_reset:r0001-t04@2m')).toEqual({
      kind: 'counter_reset',
      host: 'r0001-t04',
      startMs: 120_000,
      endMs: 120_000,
    });
    expect(parseFault('counter_reset:r0001-t04@2m+10s').endMs).toBe(130_000);
  });

  it.each([
    ['overheat r0001-t03/2@120s', /missing ":"/],
    ['melt:r0001-t03/2@120s', /unknown kind "melt" \(kinds: overheat, stall/],
    ['overheat:r0001-t03/2', /missing "@<start>"/],
    ['overheat:r0001-t03/2@120', /start "120" is not a duration/],
    ['overheat:r0001-t03/2@2x', /start "2x" is not a duration/],
    ['overheat:r0001-t03/2@120s+5', /duration "5" is not a duration/],
    ['overheat:r0001-t03/2@120s+5s+5s', /more than one "\+<duration>"/],
    ['overheat:r0001-t03/9@120s', /GPU index "9" must be 0\.\.7/],
    ['overheat:r0001-t03/1/2@120s', /more than one "\/"/],
    ['overheat:r0001.t03/1@120s', /not a host name/],
    ['overheat:@120s', /not a host name/],
    ['offline:r0001-t03/1@120s', /offline targets a whole host/],
    ['rack_cooling:r0001-t03/1@120s', /rack_cooling targets a whole rack/],
    ['stall=3:r0001-t03/1@120s', /stall takes no "=<value>"/],
    ['xid=4.5:r0001-t03/1@120s', /code must be an integer in 1\.\.65535, got 4\.5/],
    ['straggler=2:r0001-t03/1@120s', /slowdown must be a number in 0\.01\.\.0\.9/],
    ['xid=:r0001-t03/1@120s', /code must be an integer/],
    ['xid=1=2:r0001-t03/1@120s', /more than one "="/],
  ])('rejects %s with a clear error', (spec, message) => {
    let error: unknown;
    try {
      parseFault(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultSyntaxError);
    expect((error as FaultSyntaxError).spec).toBe(spec);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('expected <kind>[=<value>]:<host>[/<gpu>]@<start>[+<duration>]');
  });

  it('parses lists, stopping at the first bad one', () => {
    expect(parseFaults(['stall:r0001-t01@1s+1s', 'gpu_missing:r0001-t02/3@2s'])).toHaveLength(2);
    expect(() => parseFaults(['stall:r0001-t01@1s+1s', 'nope'])).toThrow(/invalid fault "nope"/);
  });
});

describe('formatFault', () => {
  it.each([
    'overheat:r0001-t03/2@2m+5m',
    'overheat=2.5:r0001-t03@0s',
    'xid=48:r0002-t11/0@10m',
    'xid_storm:r0002-t11/0@10m+30s',
    'ecc_dbe=3:r0001-t08/0@1m+2m',
    'counter_reset:r0001-t04@2m',
    'counter_reset:r0001-t04@2m+10s',
    'rack_cooling=25:r0003@5m+15m',
    'straggler=0.25:r0001-t06/0@1h1m1s+1s500ms',
  ])('writes %s back as it was read', (spec) => {
    expect(formatFault(parseFault(spec))).toBe(spec);
  });

  it('formats object faults too', () => {
    const fault: Fault = { kind: 'stall', host: 'r0001-t05', gpu: 1, startMs: 90_000, endMs: 210_000 };
    expect(formatFault(fault)).toBe('stall:r0001-t05/1@1m30s+2m');
  });
});

describe('validateFault', () => {
  it('accepts a well-formed fault object', () => {
    const f = { kind: 'ecc_dbe', host: 'r0001-t01', gpu: 0, startMs: 0, endMs: 10, count: 2 };
    expect(validateFault(f)).toBe(f);
  });

  it.each([
    [null, /expected an object/],
    [{ kind: 'melt', host: 'h', startMs: 0, endMs: 1 }, /fault.kind: expected one of/],
    [{ kind: 'stall', host: 'h', startMs: -1, endMs: 1 }, /startMs must be/],
    [{ kind: 'stall', host: 'h', startMs: 5, endMs: 1 }, /endMs must be a number >= startMs/],
    [{ kind: 'stall', startMs: 0, endMs: 1 }, /host must be a host name/],
    [{ kind: 'stall', host: 'h', gpu: 8, startMs: 0, endMs: 1 }, /gpu must be a GPU index 0\.\.7/],
    [{ kind: 'offline', host: 'h', gpu: 1, startMs: 0, endMs: 1 }, /unknown field "gpu"/],
    [{ kind: 'rack_cooling', host: 'h', startMs: 0, endMs: 1 }, /unknown field "host"/],
    [{ kind: 'xid', host: 'h', startMs: 0, endMs: 1, code: 0 }, /code must be an integer in 1\.\.65535/],
  ])('rejects %j', (input, message) => {
    expect(() => validateFault(input)).toThrow(message);
  });
});
