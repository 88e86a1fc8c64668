import type { Alert, NotifyOutcome } from '@kiln/alerts';

/**
 * The stored rate is taken over this long: samples are stored a batch at a time (every flush_ms, 5 s by default), so a
 * rate between two progress lines 5 s apart swings between 0 and twice the real one.
 */
const RATE_WINDOW_MS = 30_000;

/** Lines for a person watching `kiln up`: a progress line every few seconds, and one line per alert and page. */
export class ConsoleReport {
  /** The stored count at start and at each progress line within the rate window (the last one at least), oldest first. */
  private readonly stored: { at: number; samples: number }[];

  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly clock: () => number = Date.now,
  ) {
    this.stored = [{ at: clock(), samples: 0 }];
  }

  line(text: string): void {
    const t = new Date().toISOString().slice(11, 19);
    this.out.write(`${t}  ${text}\n`);
  }

  progress(now: {
    samplesStored: number;
    rejected: number;
    windowsClosed: number;
    lateSamples: number;
    alertsFiring: number;
    delivered: number;
    failed: number;
    published?: number;
  }): void {
    const at = this.clock();
    // A tenth of slack: lines come a timer's interval apart, give or take milliseconds. The previous line always stays:
    // after a longer pause (a machine waking from sleep) the rate is over the pause.
    while (this.stored.length > 1 && at - this.stored[0]!.at > RATE_WINDOW_MS * 1.1) this.stored.shift();
    const since = this.stored[0]!;
    const rate = ((now.samplesStored - since.samples) * 1000) / Math.max(1, at - since.at);
    this.stored.push({ at, samples: now.samplesStored });
    const parts = [
      `${fmt(rate)} samples/s stored (last ${Math.round((at - since.at) / 1000)} s)`,
      `stored ${fmt(now.samplesStored)}`,
      `rejected ${fmt(now.rejected)}`,
      `windows closed ${fmt(now.windowsClosed)}`,
      `late ${fmt(now.lateSamples)}`,
      `alerts firing ${now.alertsFiring}`,
      `notifications ${now.delivered} sent, ${now.failed} failed`,
    ];
    if (now.published !== undefined) parts.unshift(`simulated ${fmt(now.published)} msgs`);
    this.line(parts.join(' | '));
  }

  alert(a: Alert): void {
    const l = a.labels;
    if (a.status === 'firing') {
      this.line(`FIRING   ${l.alertname} [${l.severity}/${l.category}] ${a.annotations.summary ?? ''}`);
      return;
    }
    // The summary describes the condition while it held; for a resolution say what and for how long.
    const what =
      l.gpu !== undefined ? `GPU ${l.gpu} on ${l.host}` : l.host !== undefined ? `host ${l.host}` : `rack ${l.rack}`;
    const lasted = a.endsAt !== undefined ? ` after ${duration(a.endsAt - a.startsAt)}` : '';
    this.line(`RESOLVED ${l.alertname} [${l.severity}/${l.category}] ${what} (rack ${l.rack}, ${l.cluster})${lasted}`);
  }

  outcome(o: NotifyOutcome): void {
    if (o.result === 'delivered')
      this.line(
        `PAGED    ${o.receiver} (${o.receiverType}): ${o.status}, ${o.alerts.length} alert(s), ${o.attempts} attempt(s)`,
      );
    else if (o.result === 'failed')
      this.line(
        `PAGE FAILED ${o.receiver} (${o.receiverType}) after ${o.attempts} attempt(s): ${o.error ?? 'unknown error'}`,
      );
    else if (o.result === 'retrying') this.line(`retrying ${o.receiver}: ${o.error ?? ''} (next in ${o.retryInMs} ms)`);
  }
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
