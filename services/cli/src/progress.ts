import type { Alert, NotifyOutcome } from '@kiln/alerts';

/** Lines for a person watching `kiln up`: a progress line every few seconds, and one line per alert and page. */
export class ConsoleReport {
  private last = { at: Date.now(), samples: 0 };

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

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
    const at = Date.now();
    const rate = ((now.samplesStored - this.last.samples) * 1000) / Math.max(1, at - this.last.at);
    this.last = { at, samples: now.samplesStored };
    const parts = [
      `${fmt(rate)} samples/s`,
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
    const what = l.gpu !== undefined ? `GPU ${l.gpu} on ${l.host}` : l.host !== undefined ? `host ${l.host}` : `rack ${l.rack}`;
    const lasted = a.endsAt !== undefined ? ` after ${duration(a.endsAt - a.startsAt)}` : '';
    this.line(`RESOLVED ${l.alertname} [${l.severity}/${l.category}] ${what} (rack ${l.rack}, ${l.cluster})${lasted}`);
  }

  outcome(o: NotifyOutcome): void {
    if (o.result === 'delivered') this.line(`PAGED    ${o.receiver} (${o.receiverType}): ${o.status}, ${o.alerts.length} alert(s), ${o.attempts} attempt(s)`);
    else if (o.result === 'failed') this.line(`PAGE FAILED ${o.receiver} (${o.receiverType}) after ${o.attempts} attempt(s): ${o.error ?? 'unknown error'}`);
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
