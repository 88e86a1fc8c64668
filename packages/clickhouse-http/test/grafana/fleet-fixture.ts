import { Fleet, hostName, rackName } from '@kiln/simulator';
import { DEFAULT_DECODE_LIMITS, DecodeStats, SampleBatch, decodeMessage, encodeMessage, gpuSubject } from '@kiln/wire';
import type { AlertHistoryRow, Store } from '@kiln/store';

export const CLUSTER = 'eus2-ai1';
export const RACKS = 3;
export const OVERHEATING = { rack: rackName(1), host: hostName(rackName(1), 4), gpu: 2 };
export const STRAGGLER = { rack: rackName(2), host: hostName(rackName(2), 9), gpu: 1 };

/** What the fixture stored: the event time of its first and last sample. */
export interface FleetFixture {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * A few GB300 racks for `seconds` of simulated time, as the pipeline stores them: each host's wire message encoded,
 * decoded into a SampleBatch and inserted in batches. One GPU overheats from the second minute, another runs as a
 * straggler throughout; both log a few Xid events. Then alert history for both, with notification outcomes.
 */
export async function storeFleet(store: Store, startMs: number, seconds: number): Promise<FleetFixture> {
  const fleet = new Fleet({
    cluster: CLUSTER,
    racks: RACKS,
    seed: 42,
    startMs,
    faults: [
      { kind: 'overheat', host: OVERHEATING.host, gpu: OVERHEATING.gpu, startMs: 60_000, endMs: Infinity, severity: 3 },
      { kind: 'straggler', host: STRAGGLER.host, gpu: STRAGGLER.gpu, startMs: 0, endMs: Infinity, slowdown: 0.25 },
      // Xid events: three 79s on the overheating GPU, two 74s in the straggler's rack.
      { kind: 'xid_storm', host: OVERHEATING.host, gpu: OVERHEATING.gpu, startMs: 120_000, endMs: 123_000, code: 79 },
      { kind: 'xid_storm', host: STRAGGLER.host, gpu: STRAGGLER.gpu, startMs: 300_000, endMs: 302_000, code: 74 },
    ],
  });
  const batch = new SampleBatch(20_000);
  const stats = new DecodeStats();
  const nowMs = startMs + seconds * 1000;
  let message = 0;
  let flushes = 0;
  const flush = async () => {
    await store.insertSamples(batch, `fixture:${startMs}:${flushes++}`);
    batch.clear();
  };
  for (let s = 0; s < seconds; s++) {
    for (const msg of fleet.tick()) {
      if (batch.free < 8) await flush();
      const result = decodeMessage(
        gpuSubject(msg.cluster, msg.rack, msg.host),
        Buffer.from(encodeMessage(msg)),
        nowMs,
        DEFAULT_DECODE_LIMITS,
        batch,
        stats,
        message++,
      );
      if (!result.ok)
        throw new Error(`the simulator wrote a message the decoder rejects: ${result.reason} ${result.detail}`);
    }
    const events = fleet.tickEvents();
    if (events.length > 0) await store.insertEvents(events, `fixture-events:${startMs}:${s}`);
  }
  if (batch.length > 0) await flush();
  const endMs = startMs + (seconds - 1) * 1000;
  await store.insertAlertHistory(alertHistory(startMs), `fixture-alerts:${startMs}`);
  return { startMs, endMs };
}

function alert(
  name: string,
  severity: string,
  category: string,
  gpu: { rack: string; host: string; gpu: number },
  startsAt: number,
) {
  const labels = {
    alertname: name,
    severity,
    category,
    cluster: CLUSTER,
    rack: gpu.rack,
    host: gpu.host,
    gpu: String(gpu.gpu),
    uuid: `GPU-${gpu.host}-${gpu.gpu}`,
  };
  return {
    labels,
    annotations: { summary: `${name} on ${gpu.host} GPU ${gpu.gpu}`, description: 'from the dashboard test fixture' },
    fingerprint: `${name}:${gpu.host}:${gpu.gpu}`,
    startsAt,
  };
}

/** The overheating GPU's alert fires and stays firing (paged, Slack failing); the straggler's fires and resolves. */
function alertHistory(startMs: number): AlertHistoryRow[] {
  const overheat = alert('GpuThermalThrottling', 'critical', 'thermal', OVERHEATING, startMs + 150_000);
  const straggler = alert('GpuStraggler', 'warning', 'utilization', STRAGGLER, startMs + 60_000);
  return [
    { ...overheat, at: overheat.startsAt, event: 'firing' },
    { ...overheat, at: overheat.startsAt + 800, event: 'notified', receiver: 'pagerduty', outcome: 'ok', attempts: 1 },
    {
      ...overheat,
      at: overheat.startsAt + 9_000,
      event: 'notify_failed',
      receiver: 'slack',
      outcome: 'failed',
      detail: 'HTTP 503',
      attempts: 3,
    },
    { ...straggler, at: straggler.startsAt, event: 'firing' },
    { ...straggler, at: straggler.startsAt + 500, event: 'notified', receiver: 'slack', outcome: 'ok', attempts: 1 },
    { ...straggler, at: startMs + 300_000, event: 'resolved', endsAt: startMs + 300_000 },
  ];
}
