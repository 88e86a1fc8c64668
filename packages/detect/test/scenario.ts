/**
 * Scenario tests for the detectors, in the spirit of `promtool test rules`: a rack (or a few) of GPUs, each metric a
 * series in promtool's expanding notation, run through the real GpuRegistry, WindowCore and Detection the way the
 * aggregator drives them (per sample, per closed window, per closing pass, and a wall-clock tick), and the alert
 * events expected at their event times.
 *
 * Series notation (promtool's): `70` one sample; `70x5` 70 then 5 more (6 samples); `70+2x3` 70 72 74 76;
 * `90-1x2` 90 89 88; `_` no sample; `_x3` three without. One sample per `interval` from T0. Past its end a series
 * holds its last value. A key ending in `+` (`temp_c+`) adds its series to the healthy value instead of replacing
 * it, for changes that keep each GPU's own level. Selectors: `*` every GPU, `r0001` a rack, `r0001-t03` a host, `r0001-t03/2` one GPU; later
 * and narrower selectors override earlier ones. `present` (1 or 0/_) says whether the GPU is in its host's message;
 * a host none of whose GPUs is present sends nothing.
 *
 * Expected events: `<time> firing|resolved <alertname> <target>`, time since T0 (`1m25s`, or a range `1m20s..1m40s`:
 * firing at startsAt, resolved at endsAt), target `r0001-t03/2` (GPU), `r0001-t03` (host), `r0001` (rack) or `*`.
 */
import { expect } from 'vitest';
import type { AlertEvent } from '@kiln/alerts';
import { detectConfig } from './config.js';
import { parseDuration as parseKilnDuration } from '@kiln/duration';
import { METRIC_COUNT, METRIC_ID, SampleBatch, type MetricName } from '@kiln/wire';
import { DetectionRig, eventTime } from './rig.js';

/** 2026-01-15T00:00:00Z: minute-aligned, so windows start on round times. */
export const T0 = Date.UTC(2026, 0, 15);
export const CLUSTER = 'test-ai1';
const HOSTS_PER_RACK = 18;
const GPUS_PER_HOST = 4;
/** Wall clock runs this far behind event time, as in a live partition. */
const WALL_DELAY_MS = 0;

type SeriesKey = MetricName | `${MetricName}+` | 'present';
export type GpuSeries = Partial<Record<SeriesKey, string>> & { job?: string };

export interface Scenario {
  /** How long to run, e.g. '10m'. */
  duration: string;
  /** Sample interval, default '1s'. */
  interval?: string;
  racks?: number;
  /** Job id of every GPU unless a selector sets another ('' = none): the peer group. */
  job?: string;
  series?: Record<string, GpuSeries>;
  /** Overrides of config.detect, by rule. */
  detect?: Record<string, Record<string, unknown>>;
  /** Wall-clock time with no samples and no event time passing, appended after the run (the whole partition absent). */
  wallOnlyAfter?: string;
  /** Hosts whose clock runs ahead (or behind, negative) of the others: their samples carry ts + skew. */
  clockSkew?: Record<string, string>;
  /** Replay as fast as possible: the wall clock advances 1 ms per sample interval instead of keeping up. */
  replay?: boolean;
}

export interface ScenarioResult {
  events: AlertEvent[];
  /** One line per event, in the notation of the expectations. */
  lines: string[];
  /** The lines in the order the events were emitted (the order the alerter receives them). */
  emitted: string[];
}

/** A duration in the scenario notation: Kiln's duration syntax (2m59s, 1.5s). */
export function parseDuration(text: string): number {
  const ms = parseKilnDuration(text.trim());
  if (ms === undefined) throw new Error(`bad duration ${JSON.stringify(text)}`);
  return ms;
}

export function formatOffset(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
  return neg ? `-${text}` : text;
}

/** Expands one series; undefined entries are missing samples. */
export function expandSeries(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const token of text.trim().split(/\s+/)) {
    let m: RegExpMatchArray | null;
    if ((m = token.match(/^_(?:x(\d+))?$/))) {
      const n = m[1] === undefined ? 1 : Number(m[1]);
      for (let i = 0; i < n; i++) out.push(undefined);
    } else if ((m = token.match(/^(-?\d+(?:\.\d+)?)(?:([+-])(\d+(?:\.\d+)?))?(?:x(\d+))?$/))) {
      const a = Number(m[1]);
      const b = m[3] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * Number(m[3]);
      const n = m[4] === undefined ? 0 : Number(m[4]);
      for (let i = 0; i <= n; i++) out.push(a + b * i);
    } else throw new Error(`bad series token ${JSON.stringify(token)} in ${JSON.stringify(text)}`);
  }
  return out;
}

type Expanded = (number | undefined)[];

interface Gpu {
  rack: string;
  host: string;
  index: number;
  uuid: string;
  job: string;
  /** By metric id: the series replacing the healthy value, and the series added to it. */
  replace: (Expanded | undefined)[];
  offset: (Expanded | undefined)[];
  present?: Expanded;
  k: number;
}

/** A deterministic value in [-1, 1) for GPU k, step i, metric m: measurement noise that replays identically. */
function noise(k: number, i: number, m: number): number {
  let h = Math.imul(k + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b) ^ Math.imul(m + 1, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return ((h >>> 0) / 2 ** 32) * 2 - 1;
}

/** A healthy GPU busy in a training job: the value of every metric a series does not set. */
function healthy(metric: MetricName, k: number, i: number): number | undefined {
  const n = noise(k, i, METRIC_ID[metric]);
  switch (metric) {
    case 'temp_c':
      return 66 + ((k * 5) % 9) + 0.4 * n;
    case 'mem_temp_c':
      return 70 + ((k * 5) % 9) + 0.4 * n;
    case 'slowdown_temp_c':
      return 87;
    case 'mem_max_temp_c':
      return 95;
    case 'power_w':
      return 1080 + ((k * 37) % 80) + 5 * n;
    case 'power_limit_w':
      return 1400;
    case 'util_pct':
      return 97 + n;
    case 'sm_active':
      return 0.88 + 0.002 * (k % 5) + 0.006 * n;
    case 'tensor_active':
      return 0.6 + 0.01 * n;
    case 'sm_clock_mhz':
      return Math.round(1925 + ((k * 13) % 70) + 3 * n);
    // A GB300 in a running compute domain: every link up, the fabric completed with its clique, the module (two GPUs and
    // a Grace CPU) under its limit. temp_margin_c is left out (absent, as on an H100), so the thermal scenarios judge temp_c.
    case 'module_power_w':
      return 2 * (1080 + ((k * 37) % 80)) + 250 + 10 * n;
    case 'module_power_limit_w':
      return 2900;
    case 'fabric_state':
      return 3;
    case 'fabric_clique':
      return 1;
    case 'nvlink_links_inactive':
    case 'nvlink_crc_errors':
    case 'nvlink_replay_errors':
    case 'nvlink_recovery_errors':
    case 'fabric_status':
    case 'clock_events':
    case 'xid':
    case 'ecc_sbe_vol':
    case 'ecc_dbe_vol':
    case 'remapped_rows_unc':
    case 'row_remap_failure':
      return 0;
    default:
      return undefined;
  }
}

const METRICS = Object.keys(METRIC_ID) as MetricName[];

function buildGpus(s: Scenario): Gpu[] {
  const gpus: Gpu[] = [];
  const racks = s.racks ?? 1;
  for (let r = 1; r <= racks; r++) {
    const rack = `r${String(r).padStart(4, '0')}`;
    for (let t = 1; t <= HOSTS_PER_RACK; t++) {
      const host = `${rack}-t${String(t).padStart(2, '0')}`;
      for (let index = 0; index < GPUS_PER_HOST; index++) {
        const k = gpus.length;
        const uuid = `GPU-${String(k).padStart(8, '0')}-0000-4000-8000-000000000000`;
        gpus.push({ rack, host, index, uuid, job: s.job ?? 'train-a', replace: [], offset: [], k });
      }
    }
  }
  // Wider selectors first, so narrower ones override.
  const rank = (sel: string): number => (sel === '*' ? 0 : sel.includes('/') ? 3 : sel.includes('-') ? 2 : 1);
  const selectors = Object.entries(s.series ?? {}).sort(([a], [b]) => rank(a) - rank(b));
  for (const [sel, series] of selectors) {
    const matched = gpus.filter(
      (g) => sel === '*' || g.rack === sel || g.host === sel || `${g.host}/${g.index}` === sel,
    );
    if (matched.length === 0) throw new Error(`selector ${sel} matches no GPU`);
    for (const g of matched) {
      for (const [key, text] of Object.entries(series)) {
        if (key === 'job') g.job = text;
        else if (key === 'present') g.present = expandSeries(text);
        else {
          const name = key.endsWith('+') ? key.slice(0, -1) : key;
          const id = METRIC_ID[name as MetricName];
          if (id === undefined) throw new Error(`no metric ${name}`);
          (key.endsWith('+') ? g.offset : g.replace)[id] = expandSeries(text);
        }
      }
    }
  }
  return gpus;
}

function at<T>(values: (T | undefined)[], i: number): T | undefined {
  return i < values.length ? values[i] : values[values.length - 1];
}

/** Runs a scenario through GpuRegistry + WindowCore + Detection, driven the way the aggregator drives them. */
export function runScenario(s: Scenario): ScenarioResult {
  const detect = detectConfig(s.detect);
  const interval = parseDuration(s.interval ?? '1s');
  const steps = Math.round(parseDuration(s.duration) / interval);
  const gpus = buildGpus(s);
  const hosts = new Map<string, Gpu[]>();
  for (const g of gpus) hosts.set(g.host, [...(hosts.get(g.host) ?? []), g]);

  const skew = new Map(
    Object.entries(s.clockSkew ?? {}).map(([host, d]) => [
      host,
      d.startsWith('-') ? -parseDuration(d.slice(1)) : parseDuration(d),
    ]),
  );
  const wallAt = (i: number): number => (s.replay ? T0 + 3_600_000 + i : T0 + i * interval + WALL_DELAY_MS);
  const rig = new DetectionRig(detect);
  const batch = new SampleBatch(8);

  for (let i = 0; i < steps; i++) {
    for (const [host, members] of hosts) {
      const ts = T0 + i * interval + (skew.get(host) ?? 0);
      batch.clear();
      for (const g of members) {
        if (g.present && !at(g.present, i)) continue;
        const row = batch.length++;
        const o = row * METRIC_COUNT;
        for (let m = 0; m < METRIC_COUNT; m++) {
          const series = g.replace[m];
          const offset = g.offset[m];
          let v = series ? at(series, i) : healthy(METRICS[m]!, g.k, i);
          if (offset && v !== undefined) {
            const d = at(offset, i);
            v = d === undefined ? undefined : v + d;
          }
          batch.values[o + m] = v === undefined ? NaN : v;
        }
        batch.ts[row] = ts;
        batch.gpu[row] = g.index;
        batch.cluster[row] = CLUSTER;
        batch.rack[row] = g.rack;
        batch.host[row] = host;
        batch.uuid[row] = g.uuid;
        batch.job[row] = g.job;
      }
      if (batch.length > 0) rig.message(batch, 0, wallAt(i));
    }
    rig.tick(wallAt(i));
  }
  const end = wallAt(steps);
  const wallOnly = s.wallOnlyAfter ? parseDuration(s.wallOnlyAfter) : 0;
  for (let w = 0; w < wallOnly; w += interval) rig.tick(end + w);
  // In time order (a pass judges windows that ended before the samples that triggered it).
  const sorted = rig.events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => eventTime(a.e) - eventTime(b.e) || a.i - b.i)
    .map(({ e }) => e);
  return { events: sorted, lines: sorted.map(describeEvent), emitted: rig.events.map(describeEvent) };
}

/** `1m25s firing GpuStalled r0001-t03/2`. */
export function describeEvent(e: AlertEvent): string {
  const { labels } = e;
  const target = labels.gpu !== undefined ? `${labels.host}/${labels.gpu}` : (labels.host ?? labels.rack);
  return `${formatOffset(eventTime(e) - T0)} ${e.status} ${labels.alertname} ${target}`;
}

/** Asserts the events are exactly the expected ones, in order, each at its time or inside its time range. */
export function expectAlerts(result: ScenarioResult, expected: string[]): void {
  const ok =
    result.events.length === expected.length &&
    expected.every((line, i) => {
      const m = line.match(/^(\S+)\s+(firing|resolved)\s+(\S+)\s+(\S+)$/);
      if (!m) throw new Error(`bad expectation ${JSON.stringify(line)}`);
      const [, when, status, alertname, target] = m;
      const e = result.events[i]!;
      const [got, , gotName, gotTarget] = result.lines[i]!.split(' ');
      const t = (status === 'firing' ? e.startsAt : e.endsAt!) - T0;
      const [lo, hi] = when!.includes('..')
        ? when!.split('..').map(parseDuration)
        : [parseDuration(when!), parseDuration(when!)];
      return (
        e.status === status &&
        gotName === alertname &&
        gotTarget === target &&
        t >= lo! &&
        t <= hi! &&
        got !== undefined
      );
    });
  if (!ok) expect(result.lines).toEqual(expected);
}

/** The lines of one alertname. */
export function linesOf(result: ScenarioResult, alertname: string): string[] {
  return result.lines.filter((l) => l.split(' ')[2] === alertname);
}
