import { describe, expect, it } from 'vitest';
import {
  DLQ_SUBJECTS,
  GPU_SUBJECTS,
  REJECT_REASONS,
  dlqSubject,
  gpuSubject,
  isGpuSubjectOf,
  isSubjectToken,
  messageId,
  parseGpuSubject,
  partitionOf,
} from '../src/index.js';

describe('subjects', () => {
  it('builds and parses GPU subjects', () => {
    const subject = gpuSubject('eus2-ai1', 'r0042', 'r0042-t07');
    expect(subject).toBe('kiln.v1.gpu.eus2-ai1.r0042.r0042-t07');
    expect(parseGpuSubject(subject)).toEqual({ cluster: 'eus2-ai1', rack: 'r0042', host: 'r0042-t07' });
    expect(GPU_SUBJECTS).toBe('kiln.v1.gpu.>');
  });

  it.each(['a.b', '', 'a b', 'a*', 'a>', 'x'.repeat(65)])('refuses the token %j', (token) => {
    expect(isSubjectToken(token)).toBe(false);
    expect(() => gpuSubject('c', 'r', token)).toThrow(/invalid subject token/);
  });

  it('accepts tokens of 1 and 64 chars', () => {
    expect(isSubjectToken('A')).toBe(true);
    expect(isSubjectToken('_-'.repeat(32))).toBe(true);
  });

  it.each([
    'kiln.v1.gpu.c.r',
    'kiln.v1.gpu.c.r.h.x',
    'kiln.v1.gpu.c.r.h.01',
    'kiln.v1.gpu.c.r.h.1.2',
    'kiln.v1.dlq.c.r.h',
    'kiln.v2.gpu.c.r.h',
    'kiln.v1.gpu.c..h',
    'kiln.v1.gpu.c.r.h*',
  ])('parseGpuSubject(%j) is undefined', (subject) => {
    expect(parseGpuSubject(subject)).toBeUndefined();
  });

  it('isGpuSubjectOf compares a subject with the tokens in place', () => {
    const subject = gpuSubject('c1', 'r2', 'h3');
    expect(isGpuSubjectOf(subject, 'c1', 'r2', 'h3')).toBe(true);
    for (const [c, r, h] of [
      ['c1', 'r2', 'h'],
      ['c1', 'r2', 'h33'],
      ['c1', 'r2', 'h4'],
      ['c', 'r2', 'h3'],
      ['c1', 'r22', 'h3'],
      ['c1r', '2', 'h3'],
    ] as const) {
      expect(isGpuSubjectOf(subject, c, r, h), `${c} ${r} ${h}`).toBe(false);
    }
    expect(isGpuSubjectOf('kiln.v1.dlq.c1.r2.h3', 'c1', 'r2', 'h3')).toBe(false);
    expect(isGpuSubjectOf(`${subject}.x`, 'c1', 'r2', 'h3')).toBe(false);
  });

  it('parses the partitioned subject the servers map to', () => {
    expect(parseGpuSubject('kiln.v1.gpu.c1.r2.h3.11')).toEqual({
      cluster: 'c1',
      rack: 'r2',
      host: 'h3',
      partition: 11,
    });
  });

  it('partitionOf is the FNV-1a hash nats-server partitions by', () => {
    // Values read back from nats-server's {{partition(16,2)}} mapping (the live check is in @kiln/nats' tests).
    expect(['r0000', 'r0001', 'r0042', 'rack-17', 'a', 'eus2_r9'].map((r) => partitionOf(r, 16))).toEqual([
      5, 2, 11, 9, 12, 2,
    ]);
    expect(partitionOf('r0042', 1)).toBe(0);
  });

  it('isGpuSubjectOf takes the partition token of the rack, and the bare subject with one partition only', () => {
    const p = partitionOf('r2', 16);
    expect(isGpuSubjectOf(`kiln.v1.gpu.c1.r2.h3.${p}`, 'c1', 'r2', 'h3', 16)).toBe(true);
    expect(isGpuSubjectOf(`kiln.v1.gpu.c1.r2.h3.${(p + 1) % 16}`, 'c1', 'r2', 'h3', 16)).toBe(false);
    expect(isGpuSubjectOf(`kiln.v1.gpu.c1.r2.h3.${p}0`, 'c1', 'r2', 'h3', 16)).toBe(false);
    expect(isGpuSubjectOf('kiln.v1.gpu.c1.r2.h3', 'c1', 'r2', 'h3', 16)).toBe(false);
    expect(isGpuSubjectOf('kiln.v1.gpu.c1.r2.h3.0', 'c1', 'r2', 'h3')).toBe(true);
    expect(isGpuSubjectOf('kiln.v1.gpu.c1.r2.h4.0', 'c1', 'r2', 'h3')).toBe(false);
    const big = partitionOf('r0042', 1000);
    expect(isGpuSubjectOf(`kiln.v1.gpu.c.r0042.h.${big}`, 'c', 'r0042', 'h', 1000)).toBe(true);
  });

  it('names dead-letter subjects by reason and message ids by host and seq', () => {
    expect(REJECT_REASONS.map(dlqSubject)).toContain('kiln.v1.dlq.duplicate_gpu');
    expect(DLQ_SUBJECTS).toBe('kiln.v1.dlq.>');
    expect(messageId('r0042-t07', 184467)).toBe('r0042-t07:184467');
  });
});
