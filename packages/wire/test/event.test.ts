import { describe, expect, it } from 'vitest';
import {
  clipUtf8,
  decodeEvent,
  encodeEvent,
  eventMessageId,
  eventSubject,
  MAX_EVENT_MESSAGE_BYTES,
  parseEventSubject,
  type XidEvent,
} from '../src/index.js';

const NOW = 1_764_151_200_000;
const LIMITS = { futureSkewMs: 60_000, maxAgeMs: 14 * 86_400_000 };
const SUBJECT = 'kiln.v1.event.eus2-ai1.r0042.r0042-t07';
const XID: XidEvent = {
  v: 1,
  cluster: 'eus2-ai1',
  rack: 'r0042',
  host: 'r0042-t07',
  seq: 17,
  ts: NOW - 1000,
  kind: 'xid',
  gpu: 2,
  uuid: 'GPU-3f2a9c1e-7b4d-11ef-9a10-0242ac120002',
  code: 79,
  message: 'GPU has fallen off the bus.',
};

const bytes = (body: unknown): Uint8Array =>
  new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));

describe('event contract v1', () => {
  it('names subjects and message ids apart from samples', () => {
    expect(eventSubject('eus2-ai1', 'r0042', 'r0042-t07')).toBe(SUBJECT);
    expect(parseEventSubject(SUBJECT)).toEqual({ cluster: 'eus2-ai1', rack: 'r0042', host: 'r0042-t07' });
    expect(parseEventSubject('kiln.v1.gpu.eus2-ai1.r0042.r0042-t07')).toBeUndefined();
    expect(eventMessageId('r0042-t07', 17)).toBe('r0042-t07:e17');
    expect(() => eventSubject('c', 'r.x', 'h')).toThrow(/invalid subject token/);
  });

  it('round-trips an Xid event, with and without a GPU', () => {
    expect(decodeEvent(SUBJECT, bytes(encodeEvent(XID)), NOW, LIMITS)).toEqual({ ok: true, event: XID });
    const { gpu: _g, uuid: _u, ...noGpu } = XID;
    expect(decodeEvent(SUBJECT, bytes(encodeEvent(noGpu)), NOW, LIMITS)).toEqual({ ok: true, event: noGpu });
  });

  it('drops unknown fields on the way in', () => {
    const r = decodeEvent(SUBJECT, bytes({ ...XID, extra: 'x' }), NOW, LIMITS);
    expect(r).toEqual({ ok: true, event: XID });
  });

  it.each([
    ['invalid_json', '{"v":1,'],
    ['invalid_json', '[1]'],
    ['missing_field', { ...XID, code: undefined }],
    ['wrong_version', { ...XID, v: 2 }],
    ['bad_field', { ...XID, kind: 'reboot' }],
    ['bad_field', { ...XID, code: 70000 }],
    ['bad_field', { ...XID, code: 79.5 }],
    ['bad_field', { ...XID, seq: -1 }],
    ['bad_field', { ...XID, gpu: 8 }],
    ['bad_field', { ...XID, uuid: undefined }],
    ['bad_field', { ...XID, gpu: undefined }],
    ['bad_field', { ...XID, uuid: 'not-a-uuid' }],
    ['bad_field', { ...XID, message: 'x'.repeat(MAX_EVENT_MESSAGE_BYTES + 1) }],
    ['bad_field', { ...XID, host: 'a.b' }],
    ['subject_mismatch', { ...XID, host: 'r0042-t08' }],
    ['future_ts', { ...XID, ts: NOW + 120_000 }],
    ['expired_ts', { ...XID, ts: NOW - 15 * 86_400_000 }],
    ['oversize', { ...XID, pad: 'x'.repeat(5000) }],
  ] as const)('rejects as %s: %j', (reason, body) => {
    const r = decodeEvent(SUBJECT, bytes(body), NOW, LIMITS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('rejects a body on a subject that is not an event subject', () => {
    const r = decodeEvent('kiln.v1.gpu.eus2-ai1.r0042.r0042-t07', bytes(XID), NOW, LIMITS);
    expect(r).toMatchObject({ ok: false, reason: 'subject_mismatch' });
  });

  it('refuses to encode an event that breaks the contract', () => {
    expect(() => encodeEvent({ ...XID, code: -1 })).toThrow(/cannot encode event: code/);
  });

  it('clips a driver message at a character boundary', () => {
    const long = 'é'.repeat(600);
    const clipped = clipUtf8(long);
    expect(Buffer.byteLength(clipped, 'utf8')).toBe(MAX_EVENT_MESSAGE_BYTES);
    expect(clipUtf8('é'.repeat(3), 3)).toBe('é');
  });
});
