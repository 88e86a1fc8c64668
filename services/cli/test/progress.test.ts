import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleReport } from '../src/progress.js';

/** A report on a clock of its own: `at(second, stored)` prints a progress line; `rates()` reads [rate, span] of each. */
function reportOnClock(): { at(second: number, stored: number): void; rates(): number[][] } {
  const out = new PassThrough();
  let now = 0;
  const report = new ConsoleReport(out, () => now);
  const lines: string[] = [];
  out.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
  return {
    at(second, stored) {
      now = second * 1000;
      report.progress({
        samplesStored: stored,
        rejected: 0,
        windowsClosed: 0,
        lateSamples: 0,
        alertsFiring: 0,
        delivered: 0,
        failed: 0,
      });
    },
    rates: () => lines.map((l) => /\s(\d+) samples\/s stored \(last (\d+) s\)/.exec(l)!.slice(1).map(Number)),
  };
}

describe('kiln up progress line', () => {
  it('gives the stored rate over the last 30 s, which batches stored every few seconds do not swing to zero', () => {
    const report = reportOnClock();
    // 72 GPUs at 1 Hz, stored a batch of 6 s (432 samples) at a time; a progress line every 5 s.
    for (let second = 5; second <= 90; second += 5) report.at(second, Math.floor(second / 6) * 432);
    const rates = report.rates();
    // Between two lines alone, the rate would be 0 or 86 by turns.
    expect(rates[0]).toEqual([0, 5]);
    for (const [rate, span] of rates.slice(6)) {
      expect(span).toBe(30);
      expect(rate).toBe(72);
    }
  });

  it('gives a line after a long pause (a machine waking from sleep) the rate over the pause', () => {
    const report = reportOnClock();
    report.at(5, 360);
    report.at(125, 360);
    report.at(130, 720);
    expect(report.rates()).toEqual([
      [72, 5],
      [0, 120],
      [72, 5],
    ]);
  });
});
