import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '@kiln/alerts';
import { detectConfig } from './config.js';
import { METRIC_COUNT, METRIC_ID, SampleBatch } from '@kiln/wire';
import { GpuRegistry } from '@kiln/window';
import { XidDetector } from '../src/index.js';

const T0 = 1_764_151_200_000;
const UUID = 'GPU-00000000-0000-0000-0000-000000000002';

/** An Xid detector (keep_firing_for 60 s) and the calls its partition makes, with the events it emitted. */
function rig() {
  const rule = detectConfig({ xid: { keep_firing_for_ms: 60_000 } }).xid;
  const registry = new GpuRegistry();
  const detector = new XidDetector(registry, rule);
  const gpuId = registry.id('c1', 'r0001', 'r0001-t07', 2);
  const events: AlertEvent[] = [];
  const emit = (e: AlertEvent) => events.push(e);
  const batch = new SampleBatch(1);
  return {
    events,
    event: (atS: number, code: number) => detector.onEvent(gpuId, UUID, code, T0 + atS * 1000, emit),
    sample: (atS: number, xid: number) => {
      batch.clear();
      const row = batch.length++;
      batch.values.fill(NaN, 0, METRIC_COUNT);
      batch.ts[row] = batch.eventTs[row] = T0 + atS * 1000;
      batch.gpu[row] = 2;
      batch.cluster[row] = 'c1';
      batch.rack[row] = 'r0001';
      batch.host[row] = 'r0001-t07';
      batch.uuid[row] = UUID;
      batch.values[METRIC_ID.xid] = xid;
      detector.onSample(batch, row, gpuId, emit);
    },
    passTo: (atS: number) => detector.onWindowsClosed(T0 + atS * 1000, emit),
    forget: () => detector.forgetGpu(gpuId),
  };
}

const timeline = (events: AlertEvent[]) =>
  events.map(
    (e) =>
      `${e.status} ${e.labels.severity} ${e.labels.xid} ${(e.startsAt - T0) / 1000}${e.endsAt === undefined ? '' : `-${(e.endsAt - T0) / 1000}`}`,
  );

describe('Xid events', () => {
  it('counts each occurrence: two Xid 79s a while apart are two pages, one a little later keeps the first going', () => {
    const r = rig();
    r.event(0, 79);
    r.event(30, 79); // within keep_firing_for: the same episode, its countdown restarted
    r.passTo(80);
    r.passTo(95);
    r.event(200, 79);
    r.passTo(300);
    expect(timeline(r.events)).toEqual([
      'firing critical 79 0',
      'resolved critical 79 0-90',
      'firing critical 79 200',
      'resolved critical 79 200-260',
    ]);
    expect(r.events[0]!.labels).toMatchObject({
      alertname: 'GpuXidError',
      category: 'hardware',
      gpu: '2',
      uuid: UUID,
      host: 'r0001-t07',
    });
    expect(r.events[0]!.annotations.summary).toMatch(/logged Xid 79: GPU has fallen off the bus/);
  });

  it('ignores the sticky sample field of a GPU whose Xids come as events, so one Xid is not counted twice', () => {
    const r = rig();
    r.event(0, 79);
    for (let s = 1; s < 300; s += 10) r.sample(s, 79); // the field holds 79 until a reset
    r.passTo(300);
    expect(timeline(r.events)).toEqual(['firing critical 79 0', 'resolved critical 79 0-60']);
  });

  it('still judges the sample field of GPUs without events, and of a GPU id given to another GPU', () => {
    const r = rig();
    r.sample(0, 48);
    r.passTo(10);
    expect(timeline(r.events)).toEqual(['firing critical 48 0']);
    const other = rig();
    other.event(0, 31); // an application Xid: no alert, but the GPU is event-fed now
    other.sample(1, 48);
    expect(other.events).toEqual([]);
    other.forget();
    other.sample(2, 48);
    expect(timeline(other.events)).toEqual(['firing critical 48 2']);
  });

  it('raises a hardware warning Xid as a warning and leaves application Xids alone', () => {
    const r = rig();
    r.event(0, 13);
    r.event(1, 92);
    expect(timeline(r.events)).toEqual(['firing warning 92 1']);
  });
});
