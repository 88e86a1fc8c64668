import type { IncomingMessage, ServerResponse } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { AlertEvent, Labels } from '@kiln/alerts';
import { parseConfig } from '@kiln/config';
import { silentLogger } from '@kiln/log';
import { ALERT_STREAM, alertSubject } from '@kiln/nats';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '@kiln/testkit';
import { expect } from 'vitest';
import { startAlerter, type AlerterService, type AlertHistoryEntry } from '../src/index.js';

/**
 * A compact notation for alerter scenarios, after Alertmanager's acceptance tests: receivers are real HTTP endpoints
 * with scripted answers, alert events are played on a timeline through the real alert stream, and what each
 * endpoint received is checked line by line, each within a time window, in seconds from the start.
 *
 * Alerts: `GpuHot{r1,0}` is GpuHot on GPU 0 of rack r1 (host r1-t00); `GpuHot{r1,t0}` is about host r1-t00 as a
 * whole (a tray); `RackCoolingFailure{r1}` is rack-wide.
 * Severity is critical unless written after a colon: `GpuHot{r1,0}:warning`.
 *
 * Timeline, one event per line: `0.5 +GpuHot{r1,0}` fires, `2 -GpuHot{r1,0}` resolves.
 *
 * Endpoint answers, one per request, the last repeating: `200`, `500`, `429/1` (Retry-After: 1), `slow/1500` (200
 * after 1.5 s), `never` (no answer at all).
 *
 * What an endpoint received, one line per request, as `from..to <what> → <answer>`:
 * - webhook and slack-like payloads: `firing +GpuHot{r1,0} -GpuHot{r1,1}` (+ firing, - resolved, ~ flapping);
 * - PagerDuty events: `trigger GpuHot{r1,0}` or `resolve GpuHot{r1,0}`, one request per event;
 * - Slack messages: the message title, `[FIRING:2] GpuHot rack=r1`.
 * A line may leave out `→ <answer>`.
 */

export type EndpointType = 'webhook' | 'pagerduty' | 'slack';

export interface ScenarioOptions {
  /** Receiver name → type and scripted answers (default `200`). */
  readonly receivers: Readonly<
    Record<
      string,
      { readonly type: EndpointType; readonly answers?: string; readonly config?: Record<string, unknown> }
    >
  >;
  /** Extra receivers whose endpoints the test runs itself (e.g. a real Alertmanager). */
  readonly extraReceivers?: readonly Record<string, unknown>[];
  readonly route?: Record<string, unknown>;
  readonly inhibit_rules?: readonly Record<string, unknown>[];
  readonly alerter?: Record<string, unknown>;
}

interface Endpoint {
  readonly type: EndpointType;
  readonly http: HttpReceiver;
  readonly answers: string[];
}

export class Scenario {
  private t0 = 0;
  /** The start (event time) of each alert's current episode, by its notation. */
  private readonly episodes = new Map<string, number>();

  private constructor(
    readonly alerter: AlerterService,
    private readonly endpoints: ReadonlyMap<string, Endpoint>,
    private readonly nc: NatsConnection,
    /** What the alerter wrote to its history sink (kiln.alerts in a deployment), in order. */
    readonly history: readonly AlertHistoryEntry[],
  ) {}

  /** Starts endpoints and an alerter on a clean alert stream, with its own KV buckets and consumer. */
  static async start(nc: NatsConnection, name: string, options: ScenarioOptions): Promise<Scenario> {
    const endpoints = new Map<string, Endpoint>();
    for (const [receiver, spec] of Object.entries(options.receivers)) {
      const answers = (spec.answers ?? '200').trim().split(/\s+/);
      const http = await startHttpReceiver((req, n, res) =>
        answer(req, answers[Math.min(n, answers.length - 1)] as string, res),
      );
      endpoints.set(receiver, { type: spec.type, http, answers });
    }
    await (await jetstreamManager(nc)).streams.purge(ALERT_STREAM).catch(() => undefined);
    const notify = [
      ...[...endpoints].map(([receiver, e]) => ({
        type: e.type,
        name: receiver,
        url: e.http.url,
        ...(e.type === 'pagerduty' ? { routing_key: `key-${receiver}` } : {}),
        ...options.receivers[receiver]?.config,
      })),
      ...(options.extraReceivers ?? []),
    ];
    const config = parseConfig(
      {
        alerter: {
          listen: '127.0.0.1:0',
          consumer: `scenario-${name}`,
          state_bucket: `scenario_${name}`,
          retry_for_ms: 10_000,
          timeout_ms: 3_000,
          ...options.alerter,
        },
        notify,
        ...(options.route ? { route: options.route } : {}),
        ...(options.inhibit_rules ? { inhibit_rules: options.inhibit_rules } : {}),
      },
      { env: {} },
    );
    const history: AlertHistoryEntry[] = [];
    const alerter = await startAlerter(config, {
      nc,
      log: silentLogger(),
      history: { record: async (entries) => void history.push(...entries) },
    });
    return new Scenario(alerter, endpoints, nc, history);
  }

  /** Seconds since the timeline started. */
  now(): number {
    return (Date.now() - this.t0) / 1000;
  }

  /** Plays the timeline (lines of `<seconds> <+|-><alert>`) in real time, publishing to the alert stream. */
  async play(timeline: string): Promise<void> {
    this.t0 = Date.now();
    const js = jetstream(this.nc);
    for (const line of lines(timeline)) {
      const m = /^(\d+(?:\.\d+)?)\s+([+-])(\S+)$/.exec(line);
      if (!m) throw new Error(`timeline: cannot read ${JSON.stringify(line)}`);
      const [, at, sign, alert] = m as unknown as [string, string, '+' | '-', string];
      const wait = this.t0 + Number(at) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const event = this.event(alert, sign === '+');
      await js.publish(
        alertSubject(event.labels['cluster'] as string, event.labels['rack'] as string),
        JSON.stringify(event),
      );
    }
  }

  /** Publishes one event as it is, e.g. with event times in the past (a backlog); starts the clock if not started. */
  async publish(event: AlertEvent): Promise<void> {
    if (this.t0 === 0) this.t0 = Date.now();
    await jetstream(this.nc).publish(
      alertSubject(event.labels['cluster'] as string, event.labels['rack'] as string),
      JSON.stringify(event),
    );
  }

  /** Waits until `seconds` since the start of the timeline. */
  async until(seconds: number): Promise<void> {
    const wait = this.t0 + seconds * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  /** What the receiver's endpoint got, one line per request: `<seconds> <what> → <answer>`. */
  received(receiver: string): { at: number; what: string; answer: string }[] {
    const e = this.endpoints.get(receiver);
    if (!e) throw new Error(`no endpoint ${receiver}`);
    const names = new Map<string, string>();
    return e.http.requests.map((r, n) => ({
      at: (r.at - this.t0) / 1000,
      what: describe(e.type, r, names),
      answer: e.answers[Math.min(n, e.answers.length - 1)] as string,
    }));
  }

  /** Asserts that the receiver got exactly these requests, in order, each in its time window. */
  expect(receiver: string, spec: string): void {
    const got = this.received(receiver);
    const want = lines(spec).map((line) => {
      const m = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)\s+(.+?)(?:\s+→\s+(\S+))?$/.exec(line);
      if (!m) throw new Error(`expectation: cannot read ${JSON.stringify(line)}`);
      return { from: Number(m[1]), to: Number(m[2]), what: m[3] as string, answer: m[4] };
    });
    const show = got.map((g) => `${g.at.toFixed(2)} ${g.what} → ${g.answer}`).join('\n    ');
    expect(
      got.map((g) => g.what),
      `${receiver} received:\n    ${show}`,
    ).toEqual(want.map((w) => w.what));
    got.forEach((g, i) => {
      const w = want[i]!;
      expect(
        g.at,
        `${receiver} request ${i + 1} (${g.what}) at ${g.at.toFixed(2)} s, expected ${w.from}..${w.to}; all:\n    ${show}`,
      ).toBeGreaterThanOrEqual(w.from);
      expect(
        g.at,
        `${receiver} request ${i + 1} (${g.what}) at ${g.at.toFixed(2)} s, expected ${w.from}..${w.to}; all:\n    ${show}`,
      ).toBeLessThanOrEqual(w.to);
      if (w.answer !== undefined) expect(g.answer).toBe(w.answer);
    });
  }

  body(receiver: string, n: number): unknown {
    return JSON.parse((this.endpoints.get(receiver) as Endpoint).http.requests[n]!.body);
  }

  async stop(): Promise<void> {
    await this.alerter.stop();
    await Promise.all([...this.endpoints.values()].map((e) => e.http.close()));
  }

  private event(notation: string, firing: boolean): AlertEvent {
    const labels = alertLabels(notation);
    const now = Date.now();
    if (firing) this.episodes.set(notation, now);
    const startsAt = this.episodes.get(notation) ?? now;
    return {
      labels,
      annotations: { summary: `${notation} summary`, description: 'evidence: temp_c=91 slowdown_temp_c=87' },
      status: firing ? 'firing' : 'resolved',
      startsAt,
      ...(firing ? {} : { endsAt: now }),
    };
  }
}

/** The labels an alert in the notation stands for. */
export function alertLabels(notation: string): Labels {
  const m = /^(\w+)\{(\w+)(?:,(\d|t\d))?\}(?::(critical|warning|info))?$/.exec(notation);
  if (!m) throw new Error(`alert: cannot read ${JSON.stringify(notation)}`);
  const [, alertname, rack, place, severity] = m as unknown as [
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const base = {
    alertname: alertname as string,
    severity: severity ?? 'critical',
    category: 'thermal',
    cluster: 'eus2-ai1',
    rack: rack as string,
  };
  if (place === undefined) return base;
  if (place.startsWith('t')) return { ...base, host: `${rack}-t0${place.slice(1)}` };
  return { ...base, host: `${rack}-t0${Math.floor(Number(place) / 4)}`, gpu: place, uuid: `GPU-${rack}-000${place}` };
}

/** An alert's labels back in the notation. */
function notationOf(labels: Readonly<Record<string, string>>): string {
  const tray = labels['gpu'] === undefined && labels['host'] !== undefined ? `t${labels['host'].slice(-1)}` : undefined;
  const where = [labels['rack'], labels['gpu'] ?? tray].filter((x) => x !== undefined).join(',');
  return `${labels['alertname']}{${where}}${labels['severity'] === 'critical' ? '' : `:${labels['severity']}`}`;
}

/**
 * One request in the notation; `names` maps PagerDuty dedup keys to alerts, as a resolve event names only its key. A
 * PagerDuty group incident reads `trigger group{alertname=GpuHot,rack=r1} firing=2`.
 */
function describe(type: EndpointType, r: ReceivedRequest, names: Map<string, string>): string {
  const body = JSON.parse(r.body) as Record<string, unknown>;
  if (type === 'pagerduty') {
    const ev = body as {
      event_action: string;
      dedup_key: string;
      payload?: {
        custom_details: { labels: Record<string, string> } | { group_labels: Record<string, string>; firing: number };
        summary: string;
      };
    };
    const details = ev.payload?.custom_details;
    if (details && 'group_labels' in details) {
      // incident: group: the group, and how many of its alerts fire.
      names.set(
        ev.dedup_key,
        `group{${Object.entries(details.group_labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}}`,
      );
      return `${ev.event_action} ${names.get(ev.dedup_key)} firing=${details.firing}`;
    }
    if (details) names.set(ev.dedup_key, notationOf(details.labels));
    const flapping = ev.payload?.summary.startsWith('[flapping]') ? '~' : '';
    return `${ev.event_action} ${names.get(ev.dedup_key) ?? ev.dedup_key}${flapping}`;
  }
  if (type === 'slack') return body['text'] as string;
  const payload = body as {
    status: string;
    alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  };
  const alerts = payload.alerts
    .map(
      (a) =>
        `${a.status === 'firing' ? '+' : '-'}${notationOf(a.labels)}${a.annotations['flapping'] === 'true' ? '~' : ''}`,
    )
    .sort();
  return `${payload.status} ${alerts.join(' ')}`;
}

function answer(req: ReceivedRequest, script: string, res: ServerResponse<IncomingMessage>): void {
  void req;
  const [kind, arg] = script.split('/') as [string, string | undefined];
  if (kind === 'never') return;
  if (kind === 'slow') {
    setTimeout(() => res.writeHead(200).end('ok'), Number(arg));
    return;
  }
  const status = Number(kind);
  res.writeHead(status, arg === undefined ? {} : { 'retry-after': arg }).end(status < 300 ? 'ok' : `status ${status}`);
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
