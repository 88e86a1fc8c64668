import { describe, expect, it } from 'vitest';
import { encodeMessage, METRIC_COUNT, METRIC_ID, METRICS, MessageWriter } from '../src/index.js';

const UUID = (n: number) => `GPU-${String(n).padStart(8, '0')}-1111-2222-3333-444455556666`;

/** A readings row per GPU, every metric set to `base + metric id`. */
function readings(gpus: number, base = 1): Float64Array {
  const values = new Float64Array(gpus * METRIC_COUNT);
  for (let g = 0; g < gpus; g++)
    for (let m = 0; m < METRIC_COUNT; m++) values[g * METRIC_COUNT + m] = base + g * 100 + m;
  return values;
}

describe('MessageWriter', () => {
  it('writes the GPUs added, every catalog metric from its column, and leaves NaN out', () => {
    const writer = new MessageWriter('c1', 'r0001', 'r0001-t01', 8);
    const values = readings(8);
    values[3 * METRIC_COUNT + METRIC_ID.xid] = NaN;
    writer.begin(7, 1_700_000_000_000);
    writer.add(0, UUID(0), 'job-a', values, 0);
    writer.add(3, UUID(3), undefined, values, 3 * METRIC_COUNT);
    const message = writer.finish();
    expect(message).toMatchObject({
      v: 1,
      cluster: 'c1',
      rack: 'r0001',
      host: 'r0001-t01',
      seq: 7,
      ts: 1_700_000_000_000,
    });
    expect(message!.gpus.map((g) => [g.gpu, g.uuid, g.job])).toEqual([
      [0, UUID(0), 'job-a'],
      [3, UUID(3), undefined],
    ]);
    for (const metric of METRICS) expect(message!.gpus[0]![metric.name], metric.name).toBe(1 + METRIC_ID[metric.name]);
    expect(message!.gpus[1]!.xid).toBeUndefined();

    const encoded = JSON.parse(encodeMessage(message!)) as { gpus: Record<string, unknown>[] };
    expect(Object.keys(encoded.gpus[0]!)).toHaveLength(2 + 1 + METRIC_COUNT);
    expect(encoded.gpus[1]).not.toHaveProperty('xid');
  });

  it('rewrites its message in place, and has none to give without a GPU', () => {
    const writer = new MessageWriter('c1', 'r0001', 'r0001-t01', 4);
    writer.begin(1, 1);
    writer.add(1, UUID(1), undefined, readings(4), METRIC_COUNT);
    const first = writer.finish();
    writer.begin(2, 2);
    expect(writer.finish()).toBeUndefined();
    writer.add(2, UUID(2), undefined, readings(4, 5), 2 * METRIC_COUNT);
    expect(writer.finish()).toBe(first);
    expect(first!.gpus.map((g) => [g.gpu, g.temp_c])).toEqual([[2, 5 + 200 + METRIC_ID.temp_c]]);
  });
});
