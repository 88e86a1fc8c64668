import { describe, expect, it } from 'vitest';
import { EventClock } from '../src/index.js';

const T = 1_800_000_000_000;

describe('EventClock', () => {
  it('counts a sample no later than the wall clock at its arrival', () => {
    const clock = new EventClock(5_000);
    clock.arrived(T);
    expect(clock.count(T + 240_000, 0, 1)).toBe(T);
    expect(clock.now).toBe(T);
    expect(clock.count(T - 1_000, 1, 2)).toBe(T - 1_000);
    expect(clock.now).toBe(T);
  });

  it("takes the partition's event time from its second-newest host, so one host ahead moves nothing", () => {
    const clock = new EventClock(5_000);
    clock.arrived(T + 3_600_000); // a catch-up: every sample far behind the wall clock
    clock.count(T, 0, 3);
    clock.count(T, 1, 3);
    clock.count(T + 240_000, 2, 3); // four minutes ahead of the rest
    expect(clock.now).toBe(T);
    clock.count(T + 241_000, 2, 3);
    expect(clock.now).toBe(T);
    clock.count(T + 1_000, 0, 3); // host 0 is now the second-newest
    expect(clock.now).toBe(T + 1_000);
    // With fewer than three hosts, the newest host's: one silent host must not hold the other back.
    const pair = new EventClock(5_000);
    pair.arrived(T + 3_600_000);
    pair.count(T, 0, 2);
    pair.count(T + 9_000, 1, 2);
    expect(pair.now).toBe(T + 9_000);
  });

  it('follows the wall clock while quiet, one millisecond per millisecond, never faster, from where it stood', () => {
    const clock = new EventClock(5_000);
    clock.arrived(T);
    clock.count(T - 200, 0, 1);
    expect(clock.followWallClock(T + 5_000)).toBe(false); // not quiet yet
    // Ticks every 100 ms of a 40 s pause: event time moves 35 s, not 50 × 40 s.
    for (let w = T + 100; w <= T + 40_000; w += 100) clock.followWallClock(w);
    expect(clock.now).toBe(T - 200 + 35_000);
    // Samples at the wall clock after the pause are ahead of it: on time.
    clock.arrived(T + 40_000);
    expect(clock.resumedWall).toBe(T + 40_000);
    expect(clock.count(T + 40_000, 0, 1)).toBe(T + 40_000);
    expect(clock.now).toBe(T + 40_000);
    // A second pause follows on from the second arrival, not from the first.
    expect(clock.followWallClock(T + 46_000)).toBe(true);
    expect(clock.now).toBe(T + 41_000);
  });

  it('stands still before the first sample', () => {
    const clock = new EventClock(5_000);
    expect(clock.followWallClock(T)).toBe(false);
    clock.arrived(T);
    expect(clock.followWallClock(T + 60_000)).toBe(false);
    expect(clock.now).toBe(-Infinity);
  });
});
