import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '@kiln/store';
import { serveClickHouseHttp, type ClickHouseHttpServer } from '../src/index.js';
import { loadDashboards, type Dashboard, type DataSourceRef } from './grafana/dashboard-json.js';
import { CLUSTER, OVERHEATING, STRAGGLER, storeFleet, type FleetFixture } from './grafana/fleet-fixture.js';
import {
  CLICKHOUSE_PLUGIN,
  panelQueries,
  resolveVariables,
  type Choices,
  type Row,
  type TimeRange,
} from './grafana/run-dashboard.js';
import { tempDir } from '@kiln/testkit';

const GRAFANA = fileURLToPath(new URL('../../../deploy/grafana/', import.meta.url));
const dashboards = loadDashboards(`${GRAFANA}dashboards`);
const KILN = ['kiln-fleet.json', 'kiln-rack.json', 'kiln-gpu.json', 'kiln-alerts.json'];
/** The variable picks per dashboard: the straggler's rack, the overheating GPU; the rest Grafana's defaults. */
const CHOICES: Record<string, Choices> = {
  'kiln-fleet.json': { cluster: [CLUSTER] },
  'kiln-rack.json': { cluster: CLUSTER, rack: STRAGGLER.rack },
  'kiln-gpu.json': { cluster: CLUSTER, rack: OVERHEATING.rack, host: OVERHEATING.host, gpu: String(OVERHEATING.gpu) },
};
interface ProvisionedSource {
  uid: string;
  type: string;
  jsonData: Record<string, unknown>;
}
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
let fixture: FleetFixture;
let ranges: TimeRange[];

const run = (sql: string) => store.query<Row>(sql);

beforeAll(async () => {
  dir = await tempDir();
  store = await createStore({ dataDir: dir.path });
  await store.migrate();
  fixture = await storeFleet(store, Math.floor((Date.now() - 40 * MINUTE) / MINUTE) * MINUTE, 600);
  const toMs = fixture.endMs + 1000;
  // Grafana's intervals for these ranges at 1000 points: 1 s (raw samples), 10 s, 1 min and 2 h (the rollups).
  ranges = [
    { name: 'the last 15 minutes', fromMs: toMs - 15 * MINUTE, toMs },
    { name: 'the last 3 hours', fromMs: toMs - 3 * HOUR, toMs },
    { name: 'the last 24 hours', fromMs: toMs - 24 * HOUR, toMs },
    { name: 'the last 90 days', fromMs: toMs - 90 * 24 * HOUR, toMs },
  ];
}, 120_000);
afterAll(async () => {
  await store.close();
  await dir.remove();
});

type DashboardRun = Awaited<ReturnType<typeof runDashboardQueries>>;
const runs = new Map<string, Promise<DashboardRun>>();

/** Every query of `dashboard` over `range`, run once (the data does not change after beforeAll). */
function runDashboard(dashboard: Dashboard, range: TimeRange): Promise<DashboardRun> {
  const key = `${dashboard.file}\n${range.name}\n${dashboard.panels.map((p) => p.targets.map((t) => t.rawSql).join()).join()}`;
  let run = runs.get(key);
  if (run === undefined) runs.set(key, (run = runDashboardQueries(dashboard, range)));
  return run;
}

/** Runs every ClickHouse query of `dashboard` over `range`: the rows per panel title, and what failed. */
async function runDashboardQueries(dashboard: Dashboard, range: TimeRange) {
  const variables = await resolveVariables(dashboard, range, CHOICES[dashboard.file] ?? {}, run);
  const results = new Map<string, Row[]>();
  const failures: string[] = [];
  for (const { panel, sql } of panelQueries(dashboard, range, variables)) {
    try {
      results.set(panel.title, await run(sql));
    } catch (error) {
      failures.push(`${dashboard.file} "${panel.title}": ${(error as Error).message.split('\n')[0]}\n${sql}`);
    }
  }
  return { variables, results, failures };
}

describe('Grafana provisioning', () => {
  it('holds the dashboards the generator builds', async () => {
    await promisify(execFile)(process.execPath, [`${GRAFANA}generator/dashboards.mjs`, '--check']);
    expect(dashboards.map((d) => d.file)).toEqual(expect.arrayContaining(KILN));
  });

  it('names only provisioned data sources in every dashboard, the ClickHouse one by its uid', () => {
    const provisioned = readdirSync(`${GRAFANA}provisioning/datasources`)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap(
        (f) =>
          (
            parse(readFileSync(`${GRAFANA}provisioning/datasources/${f}`, 'utf8')) as {
              datasources: ProvisionedSource[];
            }
          ).datasources,
      );
    const clickhouse = provisioned.find((d) => d.type === CLICKHOUSE_PLUGIN);
    expect(clickhouse).toMatchObject({
      uid: 'kiln-clickhouse',
      jsonData: { protocol: 'http', defaultDatabase: 'kiln' },
    });
    // The plugin reads these two only as strings.
    expect(typeof clickhouse!.jsonData.dialTimeout).toBe('string');
    expect(typeof clickhouse!.jsonData.queryTimeout).toBe('string');
    const known = (ds: DataSourceRef | undefined) =>
      // Grafana's own (annotations, mixed, dashboard) need no provisioning.
      ds?.type === 'datasource' || provisioned.some((p) => p.uid === ds?.uid && p.type === ds?.type);
    const unknown = dashboards.flatMap((d) => [
      ...d.variables
        .filter((v) => v.type === 'query' && !known(v.datasource))
        .map((v) => `${d.file} variable ${v.name}`),
      ...d.panels.flatMap((p) =>
        p.targets.filter((t) => !known(t.datasource ?? p.datasource)).map(() => `${d.file} panel "${p.title}"`),
      ),
    ]);
    expect(unknown).toEqual([]);
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });
});

describe('every dashboard query, macros and variables expanded, on simulated racks', () => {
  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s: runs over every range, every Kiln panel with rows',
    async (file, dashboard) => {
      for (const range of ranges) {
        const { variables, results, failures } = await runDashboard(dashboard, range);
        expect(failures, range.name).toEqual([]);
        for (const [name, variable] of Object.entries(variables))
          expect(variable.options?.length, `${range.name}: $${name}`).toBeGreaterThan(0);
        if (!KILN.includes(file)) continue;
        for (const panel of dashboard.panels) {
          const rows = results.get(panel.title)!;
          expect(rows.length, `${range.name}: "${panel.title}"`).toBeGreaterThan(0);
          if (panel.targets[0]?.queryType === 'timeSeries')
            expect(Object.keys(rows[0]!)[0], `"${panel.title}"`).toBe('time');
        }
      }
    },
  );
});

describe('what the panels show', () => {
  const short = () => ranges[0]!;
  const panel = async (file: string, title: string, range = short()) => {
    const { results, failures } = await runDashboard(dashboards.find((d) => d.file === file)!, range);
    expect(failures).toEqual([]);
    return results.get(title)!;
  };

  it('fleet: the overheating GPU’s rack is the hottest, one alert fires, every GPU reports', async () => {
    const [hottest] = await panel('kiln-fleet.json', 'Hottest racks');
    expect(hottest).toMatchObject({ rack: OVERHEATING.rack });
    expect(Number(hottest!.max_temp_c)).toBeGreaterThan(85);
    expect(Number(hottest!.gpus_throttled)).toBeGreaterThanOrEqual(1);
    expect(await panel('kiln-fleet.json', 'Firing alerts')).toEqual([
      expect.objectContaining({ alertname: 'GpuThermalThrottling', host: OVERHEATING.host, gpu: OVERHEATING.gpu }),
    ]);
    expect(Number((await panel('kiln-fleet.json', 'GPUs reporting'))[0]!.gpus)).toBe(3 * 72);
  });

  it('rack: the straggler tops the table of GPUs against their peers, with a lower clock', async () => {
    const [slowest, next] = await panel('kiln-rack.json', 'Stragglers and outliers vs rack peers');
    expect(slowest).toMatchObject({ host: STRAGGLER.host, gpu: STRAGGLER.gpu });
    expect(Number(slowest!.clock_vs_rack_pct)).toBeLessThan(-10);
    expect(Number(next!.clock_vs_rack_pct)).toBeGreaterThan(-5);
    expect(await panel('kiln-rack.json', 'Latest sample per GPU')).toHaveLength(72);
  });

  it('GPU: the overheating GPU’s temperature passes its slowdown threshold, throttling shows as an event, its alert in the history', async () => {
    const temperatures = await panel('kiln-gpu.json', 'Temperature');
    expect(Math.max(...temperatures.map((r) => Number(r.gpu_max)))).toBeGreaterThan(
      Number(temperatures.at(-1)!.gpu_slowdown_threshold) - 3,
    );
    const events = (await panel('kiln-gpu.json', 'Events')).map((r) => String(r.event));
    expect(events.some((e) => e.startsWith('thermal throttling started'))).toBe(true);
    const history = await panel('kiln-gpu.json', 'Alert history');
    expect(history.map((r) => r.event)).toEqual(['notify_failed', 'notified', 'firing']);
  });

  it('Xid events: one row per occurrence on the GPU and rack dashboards, counted per code', async () => {
    const gpuEvents = await panel('kiln-gpu.json', 'Xid events');
    expect(gpuEvents.map((r) => [Number(r.gpu), Number(r.code)])).toEqual([
      [OVERHEATING.gpu, 79],
      [OVERHEATING.gpu, 79],
      [OVERHEATING.gpu, 79],
    ]);
    expect((await panel('kiln-gpu.json', 'Xid events by code')).map((r) => [Number(r.code), Number(r.events)])).toEqual(
      [[79, 3]],
    );
    const rackEvents = await panel('kiln-rack.json', 'Xid events');
    expect(rackEvents.map((r) => [r.host, Number(r.gpu), Number(r.code)])).toEqual([
      [STRAGGLER.host, STRAGGLER.gpu, 74],
      [STRAGGLER.host, STRAGGLER.gpu, 74],
    ]);
    expect(
      (await panel('kiln-rack.json', 'Xid events by code')).map((r) => [
        Number(r.code),
        Number(r.events),
        Number(r.gpus),
      ]),
    ).toEqual([[74, 2, 1]]);
  });

  it('Grace-Blackwell: the rack in its compute domain with every link up, the overheating GPU’s margin gone, its module under the limit', async () => {
    const fabric = await panel('kiln-rack.json', 'NVLink fabric per GPU');
    expect(fabric).toHaveLength(72);
    expect(
      fabric.every(
        (r) => Number(r.fabric_state) === 3 && Number(r.fabric_clique) > 0 && Number(r.links_inactive) === 0,
      ),
    ).toBe(true);
    const power = await panel('kiln-rack.json', 'Rack power');
    expect(Number(power.at(-1)!.modules)).toBeGreaterThan(Number(power.at(-1)!.gpus));
    const margin = await panel('kiln-gpu.json', 'Thermal margin');
    expect(Math.min(...margin.map((r) => Number(r.margin_lowest)))).toBeLessThan(3);
    const module = await panel('kiln-gpu.json', 'Module power');
    expect(module.every((r) => Number(r.module_max) < Number(r.module_limit))).toBe(true);
    expect((await panel('kiln-gpu.json', 'NVLink fabric')).at(-1)).toMatchObject({ state: 3, status: 0 });
  });

  it('alerts: notification outcomes per receiver, the failed one with its attempts; episodes with their durations', async () => {
    const outcomes = await panel('kiln-alerts.json', 'Notification outcomes');
    expect(outcomes).toEqual([
      expect.objectContaining({ receiver: 'pagerduty', outcome: 'ok', notifications: 1 }),
      expect.objectContaining({ receiver: 'slack', outcome: 'failed', notifications: 1, max_attempts: 3 }),
      expect.objectContaining({ receiver: 'slack', outcome: 'ok', notifications: 1 }),
    ]);
    const episodes = await panel('kiln-alerts.json', 'Alert episodes');
    expect(episodes.find((e) => e.alertname === 'GpuStraggler')).toMatchObject({ duration_s: 240 });
    expect(episodes.find((e) => e.alertname === 'GpuThermalThrottling')).toMatchObject({ ended: null });
  });

  it('reads the same means from raw samples and from each rollup', async () => {
    // The rack's mean temperature per minute: at a 1-minute interval the panel reads the minute rollup; grouped
    // from raw samples here. (The rollup tests compare the tables row by row.)
    const rack = dashboards.find((d) => d.file === 'kiln-fleet.json')!;
    const range = ranges[2]!;
    const { results } = await runDashboard(rack, range);
    const fromRollup = results.get('Hottest GPU per rack')!.filter((r) => r.rack === OVERHEATING.rack);
    const fromRaw = await run(
      `SELECT toStartOfMinute(ts) AS time, toFloat64(max(temp_c)) AS temperature_max FROM kiln.gpu_samples
       WHERE rack = '${OVERHEATING.rack}' GROUP BY time ORDER BY time`,
    );
    expect(fromRollup.map((r) => Number(r.temperature_max))).toEqual(fromRaw.map((r) => Number(r.temperature_max)));
  });

  it('fails a panel that names a column the schema lacks', async () => {
    const broken: Dashboard = {
      ...dashboards.find((d) => d.file === 'kiln-gpu.json')!,
      panels: dashboards
        .find((d) => d.file === 'kiln-gpu.json')!
        .panels.map((p) => ({
          ...p,
          targets: p.targets.map((t) => ({ ...t, rawSql: t.rawSql?.replace(/\bmem_temp_c\b/g, 'hbm_temp_c') })),
        })),
    };
    const { failures } = await runDashboard(broken, short());
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatch(/"Temperature": .*hbm_temp_c/);
  });
});

describe('Grafana’s path: the HTTP interface, read-only, Native at clickhouse-go’s revision', () => {
  let server: ClickHouseHttpServer;
  beforeAll(async () => {
    server = await serveClickHouseHttp(store, { listen: '127.0.0.1:0' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers every query of every dashboard for an anonymous reader', async () => {
    const failures: string[] = [];
    for (const dashboard of dashboards) {
      const range = ranges[0]!;
      const variables = await resolveVariables(dashboard, range, CHOICES[dashboard.file] ?? {}, run);
      for (const { panel, sql } of panelQueries(dashboard, range, variables)) {
        const search = new URLSearchParams({ query: sql, default_format: 'Native', client_protocol_version: '54460' });
        const response = await fetch(`${server.url}/?${search}`);
        const body = Buffer.from(await response.arrayBuffer());
        if (response.status !== 200)
          failures.push(`${dashboard.file} "${panel.title}": ${body.toString().split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
