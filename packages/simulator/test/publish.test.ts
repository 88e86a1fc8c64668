import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { encodeMessage, EVENT_SUBJECTS, GPU_SUBJECTS, type XidEvent } from '@kiln/wire';
import { startTestNatsServer, type TestNatsServer } from '@kiln/testkit';
import { Fleet, publishFleet, type FleetOptions, type PublishStats } from '../src/index.js';
import { T0 } from './helpers.js';

describe('publishFleet into a real JetStream stream', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let stream = 0;
  /**
   * A publish whose PubAck is late is sent again under the same Nats-Msg-Id and then counts as a duplicate, so the
   * default 5 s ack timeout made the counts below depend on how busy the machine was (a nats-server stopped for 6 s
   * mid-run gave 64 duplicates where none were due). Acks this patient time out only past the test's own timeout.
   */
  const PATIENT = { ackTimeoutMs: 55_000 } as const;
  const options: FleetOptions = {
    cluster: 'pub-ai1',
    racks: 2,
    seed: 4,
    startMs: T0,
    faults: [{ kind: 'offline', host: 'r0002-t18', startMs: 0, endMs: 2_000 }],
  };

  beforeAll(async () => {
    server = await startTestNatsServer();
    nc = await connect({ servers: server.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  /** A fresh stream on kiln.v1.gpu.> for each test (the previous one deleted, so subjects do not overlap). */
  async function freshStream(): Promise<string> {
    const previous = `GPU_${stream}`;
    if (stream > 0) await jsm.streams.delete(previous);
    const name = `GPU_${++stream}`;
    await jsm.streams.add({ name, subjects: [GPU_SUBJECTS] });
    return name;
  }

  it('publishes an Xid storm as one event per tick of its window on the event subject, and a re-send as duplicates', async () => {
    await freshStream();
    await jsm.streams.add({ name: 'EVENTS', subjects: [EVENT_SUBJECTS] });
    const storm: FleetOptions = {
      ...options,
      faults: [{ kind: 'xid_storm', host: 'r0001-t03', gpu: 1, code: 119, startMs: 2_000, endMs: 4_000 }],
    };
    await publishFleet(js, new Fleet(storm), { mode: 'replay', ticks: 5 });
    await publishFleet(js, new Fleet(storm), { mode: 'replay', ticks: 5 });
    const info = await jsm.streams.info('EVENTS');
    expect(info.state.messages).toBe(2);
    const events: XidEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('EVENTS', { seq });
      expect(m!.subject).toBe('kiln.v1.event.pub-ai1.r0001.r0001-t03');
      const e = m!.json<XidEvent>();
      expect(m!.header.get('Nats-Msg-Id')).toBe(`r0001-t03:e${e.seq}`);
      events.push(e);
    }
    expect(events.map((e) => [e.ts - T0, e.gpu, e.code, e.kind])).toEqual([
      [2000, 1, 119, 'xid'],
      [3000, 1, 119, 'xid'],
    ]);
    expect(events[0]!.uuid).toMatch(/^GPU-/);
    await jsm.streams.delete('EVENTS');
  });

  it('stores one message per host per tick, and a re-send of the same ticks as duplicates', async () => {
    const name = await freshStream();
    const progress: PublishStats[] = [];
    const first = await publishFleet(js, new Fleet(options), {
      ...PATIENT,
      mode: 'replay',
      ticks: 5,
      inflight: 64,
      onProgress: (s) => progress.push(s),
    });
    // 36 hosts × 5 ticks, less the two ticks r0002-t18 is offline.
    expect(first).toMatchObject({
      ticks: 5,
      messages: 178,
      samples: 178 * 4,
      duplicates: 0,
      aborted: false,
      lastTs: T0 + 4000,
    });
    expect(progress.map((p) => p.ticks)).toEqual([1, 2, 3, 4, 5]);
    expect((await jsm.streams.info(name)).state.messages).toBe(178);

    const again = await publishFleet(js, new Fleet(options), { ...PATIENT, mode: 'replay', ticks: 5 });
    expect(again).toMatchObject({ messages: 178, duplicates: 178 });
    expect((await jsm.streams.info(name)).state.messages).toBe(178);

    // Continuing past the re-sent ticks stores only the new ones.
    const longer = await publishFleet(js, new Fleet(options), { ...PATIENT, mode: 'replay', durationMs: 7_000 });
    expect(longer).toMatchObject({ ticks: 7, messages: 178 + 72, duplicates: 178 });
    expect((await jsm.streams.info(name)).state.messages).toBe(178 + 72);
  });

  it('stores the encoded message on its host subject with Nats-Msg-Id <host>:<seq>', async () => {
    const name = await freshStream();
    await publishFleet(js, new Fleet(options), { mode: 'replay', ticks: 3 });
    const expected = new Fleet(options);
    expected.tick();
    expected.tick();
    const third = expected.tick().find((m) => m.host === 'r0001-t07')!;
    const stored = await jsm.streams.getMessage(name, { last_by_subj: 'kiln.v1.gpu.pub-ai1.r0001.r0001-t07' });
    expect(stored).not.toBeNull();
    expect(stored!.string()).toBe(encodeMessage(third));
    expect(stored!.header.get('Nats-Msg-Id')).toBe(`r0001-t07:${third.seq}`);
  });

  it('stops at a tick boundary on abort, with everything sent acknowledged', async () => {
    const name = await freshStream();
    const abort = new AbortController();
    const result = await publishFleet(js, new Fleet(options), {
      ...PATIENT,
      mode: 'replay',
      signal: abort.signal,
      onProgress: (s) => {
        if (s.ticks === 3) abort.abort();
      },
    });
    expect(result).toMatchObject({ ticks: 3, messages: 36 * 3 - 2, aborted: true });
    expect((await jsm.streams.info(name)).state.messages).toBe(36 * 3 - 2);
  });

  it('in realtime mode stamps ticks with the wall clock, one per interval', async () => {
    const name = await freshStream();
    const before = Date.now();
    const fleet = new Fleet({ cluster: 'pub-ai1', racks: 1, seed: 4, startMs: before, intervalMs: 100 });
    const stamps: number[] = [];
    const result = await publishFleet(js, fleet, {
      ...PATIENT,
      mode: 'realtime',
      ticks: 3,
      onProgress: (s) => stamps.push(s.lastTs),
    });
    const after = Date.now();
    expect(result).toMatchObject({ ticks: 3, messages: 54, duplicates: 0 });
    expect(stamps[0]).toBeGreaterThanOrEqual(before);
    expect(stamps[2]).toBeLessThanOrEqual(after);
    // Tick k is due k intervals after the run began, never earlier.
    expect(stamps[1]).toBeGreaterThanOrEqual(before + 100);
    expect(stamps[2]).toBeGreaterThanOrEqual(before + 200);
    expect((await jsm.streams.info(name)).state.messages).toBe(54);
  });

  it('reports a publish that cannot be stored, after the rest have settled', async () => {
    await jsm.streams.delete(`GPU_${stream}`);
    stream = 0;
    // No stream listens: every publish gets no responders; one attempt each keeps it short.
    await expect(publishFleet(js, new Fleet(options), { mode: 'replay', ticks: 2, attempts: 1 })).rejects.toThrow(
      /publishing stopped after \d+ ticks \(0 messages acknowledged\)/,
    );
  });

  it('checks its options', async () => {
    const fleet = new Fleet(options);
    await expect(publishFleet(js, fleet, { mode: 'replay', inflight: 0 })).rejects.toThrow(
      /inflight must be an integer/,
    );
    await expect(publishFleet(js, fleet, { mode: 'fast' as 'replay' })).rejects.toThrow(/mode must be/);
    await expect(publishFleet(js, fleet, { mode: 'replay', ticks: -1 })).rejects.toThrow(/ticks must be/);
    expect(fleet.tickCount).toBe(0);
  });
});
