import { describe, expect, it } from 'vitest';
import { runFleet } from './fleet-run.js';

/**
 * Replay determinism: the same stream processed in different batchings (a closing pass after every message, or after
 * hundreds, as a fast replay does) raises exactly the same alert events, at the same event times.
 */
describe('replay determinism', () => {
  it('raises identical alerts whatever the batching', () => {
    const faults = ['overheat:r0001-t03/1@2m+5m', 'stall:r0001-t09/2@4m+4m', 'xid=79:r0001-t12/0@6m', 'straggler:r0001-t15/3@3m+8m'];
    const live = runFleet({ racks: 1, seconds: 15 * 60, faults, codec: true });
    const replay = runFleet({ racks: 1, seconds: 15 * 60, faults, codec: true, closeEvery: 18 * 30 });
    expect(live.events.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(replay.events)).toBe(JSON.stringify(live.events));
  });
});
