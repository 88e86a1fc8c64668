import { describe, expect, it } from 'vitest';
import { runFleet } from './fleet-run.js';

/**
 * Replay determinism: the same stream lived through (wall clock = event time, a tick every second) and replayed an
 * hour later as fast as possible (every sample far behind the wall clock, few ticks) raises exactly the same alert
 * events, at the same event times.
 */
describe('replay determinism', () => {
  it('raises identical alerts lived through and replayed', () => {
    const faults = [
      'overheat:r0001-t03/1@2m+5m',
      'stall:r0001-t09/2@4m+4m',
      'xid=79:r0001-t12/0@6m',
      'straggler:r0001-t15/3@3m+8m',
      'offline:r0001-t17@9m',
    ];
    const live = runFleet({ racks: 1, seconds: 15 * 60, faults, codec: true });
    const replay = runFleet({ racks: 1, seconds: 15 * 60, faults, codec: true, replay: true });
    expect(live.events.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(replay.events)).toBe(JSON.stringify(live.events));
  });
});
