import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { fingerprint, type Labels } from '@kiln/alerts';
import { startHttpReceiver, tempDir, waitUntil, type HttpReceiver, type ReceivedRequest } from '@kiln/testkit';
import { freePort, spawnKiln, type KilnProcess } from '../support/kiln-process.js';

/**
 * What the operating-conditions suite runs and measures. A case is real processes — `kiln up` against a real
 * nats-server (which the case may stop), the simulator in `kiln up` or `kiln simulate`, real `kiln agent`s — and real
 * HTTP receivers standing in for the pager. From what the receivers got it counts, per case:
 * - pages per incident: webhook notifications that brought an alert of the incident not heard firing before;
 * - detected: incidents with at least one page;
 * - false pages: notifications that brought an alert no incident explains;
 * - late samples: kiln up's kiln_window_late_samples_total;
 * - detection latency: from the fault's onset to its first page.
 */

/** The configuration the README's quick start runs. */
export const SHIPPED_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'kiln.yaml');

/** A fault the case injected, and which alerts are its. */
export interface Incident {
  readonly name: string;
  /** Wall-clock ms at which the fault began. */
  onsetMs: number;
  readonly owns: (labels: Labels) => boolean;
}

/** A webhook notification that brought alerts the receiver had not heard firing. */
export interface Page {
  readonly at: number;
  readonly alerts: readonly Labels[];
}

interface WebhookPayload {
  status: string;
  alerts: { status: string; labels: Labels; startsAt: string }[];
}

/** The pages among a webhook's requests: notifications with a firing alert (an episode) not heard before. */
export function pagesOf(requests: readonly ReceivedRequest[]): Page[] {
  const heard = new Set<string>();
  const pages: Page[] = [];
  for (const r of requests) {
    const payload = JSON.parse(r.body) as WebhookPayload;
    const fresh = payload.alerts.filter(
      (a) => a.status === 'firing' && !heard.has(`${fingerprint(a.labels)}@${a.startsAt}`),
    );
    for (const a of fresh) heard.add(`${fingerprint(a.labels)}@${a.startsAt}`);
    if (fresh.length > 0) pages.push({ at: r.at, alerts: fresh.map((a) => a.labels) });
  }
  return pages;
}

export interface CaseResult {
  readonly name: string;
  /** Pages of each incident, in order. */
  readonly pagesPerIncident: readonly number[];
  readonly detected: number;
  readonly incidents: number;
  readonly falsePages: number;
  readonly falseAlerts: readonly string[];
  readonly late: number;
  /** Samples the case delayed on purpose (an outage's, replayed from spools): the most that may be late. */
  delayed?: number;
  /** Seconds from onset to the first page, per detected incident. */
  readonly latencyS: readonly number[];
}

/** Sorts a case's pages out into its incidents. */
export function evaluate(
  name: string,
  incidents: readonly Incident[],
  pages: readonly Page[],
  late: number,
): CaseResult {
  const pagesPerIncident = incidents.map((i) => pages.filter((p) => p.alerts.some((a) => i.owns(a))).length);
  const unexplained = pages.filter((p) => p.alerts.some((a) => !incidents.some((i) => i.owns(a))));
  const latencyS = incidents.flatMap((i) => {
    const first = pages.find((p) => p.alerts.some((a) => i.owns(a)));
    return first ? [Math.round((first.at - i.onsetMs) / 100) / 10] : [];
  });
  return {
    name,
    pagesPerIncident,
    detected: pagesPerIncident.filter((n) => n > 0).length,
    incidents: incidents.length,
    falsePages: unexplained.length,
    falseAlerts: unexplained.flatMap((p) => p.alerts.filter((a) => !incidents.some((i) => i.owns(a))).map(describe)),
    late,
    latencyS,
  };
}

/** A failed case's figures and every page it saw, for the assertion message. */
export function explain(result: CaseResult, ws: { webhook: HttpReceiver }): string {
  const pages = pagesOf(ws.webhook.requests).map(
    (p) => `${new Date(p.at).toISOString().slice(11, 23)} ${p.alerts.map(describe).join(', ')}`,
  );
  return `${JSON.stringify(result)}\npages:\n  ${pages.join('\n  ')}`;
}

export function describe(labels: Labels): string {
  const where = labels.gpu !== undefined ? `${labels.host}/${labels.gpu}` : (labels.host ?? labels.rack);
  return `${labels.alertname} ${where}`;
}

/** The suite's table, as the README shows it. */
export function table(results: readonly CaseResult[]): string {
  const lines = [
    '| case | pages per incident (goal 1) | detected | false pages (goal 0) | late samples | detection latency from onset |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const pages =
      r.incidents === 0
        ? '–'
        : new Set(r.pagesPerIncident).size === 1 && r.incidents > 2
          ? `${r.pagesPerIncident[0]} each`
          : r.pagesPerIncident.join(', ');
    const sorted = [...r.latencyS].sort((a, b) => a - b);
    const latency =
      sorted.length === 0
        ? '–'
        : sorted.length <= 2
          ? sorted.map((s) => `${s} s`).join(', ')
          : sorted[0] === sorted.at(-1)
            ? `${sorted[0]} s each`
            : `${sorted[0]}–${sorted.at(-1)} s`;
    const late =
      r.late.toLocaleString('en-US') +
      (r.delayed === undefined ? '' : ` of ${r.delayed.toLocaleString('en-US')} delayed`);
    lines.push(`| ${r.name} | ${pages} | ${r.detected}/${r.incidents} | ${r.falsePages} | ${late} | ${latency} |`);
  }
  return lines.join('\n');
}

export interface KilnUpOptions {
  /** Start from the shipped deploy/kiln.yaml (else from an empty configuration). */
  readonly shipped?: boolean;
  readonly natsUrl: string;
  /** Overrides merged into the configuration, section by section (simulate, detect, aggregator, notify, …). */
  readonly config?: Record<string, unknown>;
}

/** `kiln up` as an operator runs it, on its own ports and data directory, with the case's receivers. */
export class KilnUp {
  private process: KilnProcess | undefined;
  /** Late samples counted by the runs of kiln up before the current one. */
  private lateBefore = 0;
  private lateNow = 0;
  private scraper: NodeJS.Timeout | undefined;

  private constructor(
    readonly name: string,
    private readonly configFile: string,
    readonly clickhouseUrl: string,
    readonly alerterUrl: string,
    readonly metricsUrl: string,
  ) {}

  static async start(name: string, dir: string, opts: KilnUpOptions): Promise<KilnUp> {
    const base: Record<string, unknown> = opts.shipped
      ? (parseYaml(await readFile(SHIPPED_CONFIG, 'utf8')) as Record<string, unknown>)
      : {};
    const [ch, alerter, metrics] = [await freePort(), await freePort(), await freePort()];
    const section = (key: string): Record<string, unknown> => ({
      ...(base[key] as object | undefined),
      ...(opts.config?.[key] as object | undefined),
    });
    const config: Record<string, unknown> = {
      ...base,
      ...opts.config,
      data_dir: join(dir, 'state'),
      nats: { ...section('nats'), url: opts.natsUrl },
      clickhouse: { ...section('clickhouse'), listen: `127.0.0.1:${ch}` },
      alerter: { ...section('alerter'), listen: `127.0.0.1:${alerter}` },
      metrics: { ...section('metrics'), listen: `127.0.0.1:${metrics}` },
      simulate: section('simulate'),
    };
    const configFile = join(dir, 'kiln.yaml');
    await writeFile(configFile, JSON.stringify(config));
    const up = new KilnUp(
      name,
      configFile,
      `http://127.0.0.1:${ch}`,
      `http://127.0.0.1:${alerter}`,
      `http://127.0.0.1:${metrics}`,
    );
    await up.run();
    return up;
  }

  /** Starts (again) and waits until it is ready. */
  async run(): Promise<void> {
    this.lateBefore += this.lateNow;
    this.lateNow = 0;
    const p = spawnKiln(this.name, ['up', '--config', this.configFile], {
      KILN_METRICS_LISTEN: new URL(this.metricsUrl).host,
    });
    this.process = p;
    await waitUntil(
      'kiln up to be ready',
      async () => (await fetch(`${this.metricsUrl}/readyz`)).ok,
      90_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${p.tail(60)}`);
    });
    // Its counters die with it: keep reading them while it runs.
    this.scraper = setInterval(() => void this.scrapeLate().catch(() => undefined), 1_000);
  }

  /** SIGKILL, as a crash. */
  async kill(): Promise<void> {
    clearInterval(this.scraper);
    await this.scrapeLate().catch(() => undefined);
    await this.process?.kill();
  }

  async stop(): Promise<void> {
    clearInterval(this.scraper);
    await this.scrapeLate().catch(() => undefined);
    await this.process?.stop();
  }

  /** Late samples over every run. */
  async late(): Promise<number> {
    await this.scrapeLate().catch(() => undefined);
    return this.lateBefore + this.lateNow;
  }

  /** A number from the embedded ClickHouse's HTTP interface. */
  async count(sql: string): Promise<number> {
    const res = await fetch(`${this.clickhouseUrl}/?query=${encodeURIComponent(sql)}`);
    if (!res.ok) throw new Error(`${sql}: ${res.status} ${await res.text()}`);
    return Number((await res.text()).trim());
  }

  /** Wall-clock start of a simulated fleet: its first sample, once stored. */
  async firstSampleMs(where: string): Promise<number> {
    return waitUntil(
      `the first samples where ${where}`,
      async () => {
        const ms = await this.count(`SELECT toUnixTimestamp64Milli(min(ts)) FROM kiln.gpu_samples WHERE ${where}`);
        return ms > 0 ? ms : undefined;
      },
      60_000,
      500,
    );
  }

  /** The alerter's alerts, as Alertmanager's API lists them. */
  async alerts(query = ''): Promise<{ labels: Labels; status: { state: string; inhibitedBy: string[] } }[]> {
    return (await (await fetch(`${this.alerterUrl}/api/v2/alerts${query}`)).json()) as {
      labels: Labels;
      status: { state: string; inhibitedBy: string[] };
    }[];
  }

  output(): string {
    return this.process?.tail(80) ?? '';
  }

  private async scrapeLate(): Promise<void> {
    const text = await (await fetch(`${this.metricsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    const m = /^kiln_window_late_samples_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    if (m) this.lateNow = Number(m[1]);
  }
}

/** A case's own directory and receivers, cleaned up afterwards. */
export async function caseWorkspace(
  prefix: string,
): Promise<{ dir: string; webhook: HttpReceiver; pagerduty: HttpReceiver; close(): Promise<void> }> {
  const dir = await tempDir(`kiln-conditions-${prefix}-`);
  const webhook = await startHttpReceiver();
  const pagerduty = await startHttpReceiver((_req, _n, res) =>
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}'),
  );
  return {
    dir: dir.path,
    webhook,
    pagerduty,
    async close() {
      await webhook.close();
      await pagerduty.close();
      await dir.remove();
    },
  };
}

/** The receivers every case pages: the webhook (Alertmanager's payload) and PagerDuty's Events API. */
export function receivers(ws: { webhook: HttpReceiver; pagerduty: HttpReceiver }): Record<string, unknown>[] {
  return [
    { type: 'webhook', name: 'oncall-webhook', url: `${ws.webhook.url}/hook` },
    {
      type: 'pagerduty',
      name: 'oncall-pd',
      routing_key: 'R0UT1NGKEYCONDITIONS000000000001',
      url: `${ws.pagerduty.url}/v2/enqueue`,
    },
  ];
}

/** PagerDuty events received: `trigger <dedup_key>` / `resolve <dedup_key>`. */
export function pagerDutyEvents(pd: HttpReceiver): { action: string; key: string; at: number }[] {
  return pd.requests.map((r) => {
    const e = JSON.parse(r.body) as { event_action: string; dedup_key: string };
    return { action: e.event_action, key: e.dedup_key, at: r.at };
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
