// The callbacks handed to page.evaluate run in the browser: they see the DOM's types. (The build of src/ stays without them.)
/// <reference lib="dom" />
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Labels } from '@kiln/alerts';
import { startTestNatsServer, waitUntil, type TestNatsServer } from '@kiln/testkit';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '@kiln/http';
import { alertLabels, Scenario } from './scenario.js';

/**
 * The web UI in a real browser (Debian's chromium, headless, driven by puppeteer-core) against a real alerter on a
 * real nats-server, with basic auth on reads and writes. KILN_UI_SCREENSHOTS=<dir> also saves the page as the docs
 * show it (alerter-ui.png, alerter-ui-phone.png).
 */

const AUTH = { user: 'oncall', password: 'pump-swap-42' };
const basic = { authorization: basicAuthorization(AUTH) };
const HOSTILE_SUMMARY = '<img src=x onerror="window.kilnXss=1">';
const HOSTILE_DESCRIPTION = '</pre><script>window.kilnXss=2</script>';
const HOSTILE_LABEL = '<b onclick="window.kilnXss=3">r0077</b>';

let nats: TestNatsServer;
let nc: NatsConnection;
let s: Scenario;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

interface ApiAlert {
  fingerprint: string;
  labels: Labels;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}
interface ApiSilence {
  id: string;
  status: { state: string };
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${s.alerter.api.url}${path}`, { headers: basic });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const alertsWhere = (query: string) => api<ApiAlert[]>(`/api/v2/alerts?${query}`);

/** Fires an alert through the alert stream, started `minutesAgo` in event time, with the annotations given. */
async function fire(
  notation: string,
  minutesAgo: number,
  summary: string,
  description: string,
  extra: Labels = {},
): Promise<void> {
  await s.publish({
    labels: { ...alertLabels(notation), ...extra },
    annotations: { summary, description },
    status: 'firing',
    startsAt: Date.now() - minutesAgo * 60_000,
  });
}

async function fingerprintOf(labels: Labels): Promise<string> {
  const filter = Object.entries(labels)
    .map(([k, v]) => `filter=${encodeURIComponent(`${k}=${JSON.stringify(v)}`)}`)
    .join('&');
  const [alert] = await alertsWhere(filter);
  if (!alert) throw new Error(`no firing alert ${JSON.stringify(labels)}`);
  return alert.fingerprint;
}

/** Debian's chromium on PATH, or a failure that says what to install: this suite never skips. */
async function findChromium(): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'chromium');
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(
    "chromium not found on PATH: install Debian's chromium (apt-get install -y chromium) to run the web UI tests",
  );
}

/** Texts of the elements matching `selector`. */
const texts = (selector: string) => page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent ?? ''));

async function screenshot(name: string, fullPage: boolean): Promise<void> {
  const dir = process.env['KILN_UI_SCREENSHOTS'];
  if (!dir) return;
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path: path as `${string}.png`, fullPage });
}

beforeAll(async () => {
  const executablePath = await findChromium();
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  s = await Scenario.start(nc, 'ui', {
    receivers: { oncall: { type: 'webhook' } },
    route: {
      receiver: 'oncall',
      group_by: ['alertname', 'cluster', 'rack'],
      group_wait: '200ms',
      group_interval: '1s',
    },
    alerter: { basic_auth: { ...AUTH, protect_reads: true } },
  });
  await fire(
    'GpuTemperatureNearSlowdown{r0042,3}',
    12,
    'GPU 3 of r0042-t00 at 91 °C, 4 °C under its slowdown temperature',
    'evidence: temp_c=91 slowdown_temp_c=95 over 60 s',
  );
  await fire(
    'GpuTemperatureNearSlowdown{r0042,6}',
    9,
    'GPU 6 of r0042-t01 at 90 °C, 5 °C under its slowdown temperature',
    'evidence: temp_c=90 slowdown_temp_c=95 over 60 s',
  );
  await fire(
    'RackCoolingFailure{r0051}',
    25,
    'Rack r0051: CDU supply temperature 38 °C, flow 12 % of nominal',
    'evidence: cdu_supply_c=38 flow_pct=12',
  );
  await fire(
    'GpuTemperatureNearSlowdown{r0051,1}',
    20,
    'GPU 1 of r0051-t00 at 92 °C, 3 °C under its slowdown temperature',
    'evidence: temp_c=92 slowdown_temp_c=95',
  );
  await fire(
    'EccDoubleBitErrors{r0063,t2}:warning',
    47,
    'Host r0063-t02: 2 double-bit ECC errors in the last hour',
    'evidence: dbe_total=2',
    { category: 'hardware' },
  );
  const resolvedStart = Date.now() - 30 * 60_000;
  const resolved = {
    labels: alertLabels('GpuTemperatureNearSlowdown{r0042,0}'),
    annotations: { summary: 'GPU 0 of r0042-t00 hot', description: 'evidence' },
  };
  await s.publish({ ...resolved, status: 'firing', startsAt: resolvedStart });
  await s.publish({ ...resolved, status: 'resolved', startsAt: resolvedStart, endsAt: Date.now() - 2 * 60_000 });
  await waitUntil('five alerts firing', async () => (await alertsWhere('')).length === 5, 10_000, 50);

  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(`page error: ${err instanceof Error ? err.message : String(err)}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()} (${msg.location().url ?? 'the page'})`);
  });
  // What the browser's own basic-auth prompt would send.
  await page.authenticate({ username: AUTH.user, password: AUTH.password });
  await page.setViewport({ width: 1280, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  await s?.stop();
  await nc?.close();
  await nats?.dispose();
});

describe('the alerter web UI', () => {
  it('asks for the credentials when reads are protected, and serves the page under a strict content policy', async () => {
    const refused = await fetch(`${s.alerter.api.url}/`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /);
    const res = await fetch(`${s.alerter.api.url}/`, { headers: basic });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await res.text()).toMatch(/<script src="ui\/app\.js" defer><\/script>/);
    // The page's Sign in link: asks for the credentials even though it only reads, then goes back to the page.
    expect((await fetch(`${s.alerter.api.url}/ui/sign-in`, { redirect: 'manual' })).status).toBe(401);
    const signedIn = await fetch(`${s.alerter.api.url}/ui/sign-in`, { headers: basic, redirect: 'manual' });
    expect([signedIn.status, signedIn.headers.get('location')]).toEqual([303, '../']);
  });

  it('shows the firing alerts grouped as routed, with state and age, and the recent changes', async () => {
    await page.goto(`${s.alerter.api.url}/`, { waitUntil: 'load' });
    await page.waitForSelector('.alert[data-fingerprint]');

    const groups = await texts('.group .group-head');
    expect(groups).toHaveLength(4);
    expect(groups).toContainEqual(
      expect.stringMatching(/alertname="GpuTemperatureNearSlowdown".*cluster="eus2-ai1".*rack="r0042".*→ oncall · 2/),
    );
    expect(groups).toContainEqual(expect.stringMatching(/alertname="RackCoolingFailure".*rack="r0051"/));
    expect(await page.$eval('#alert-count', (n) => n.textContent)).toBe('(5)');

    const gpu3 = await fingerprintOf(alertLabels('GpuTemperatureNearSlowdown{r0042,3}'));
    const row = await page.$eval(`.alert[data-fingerprint="${gpu3}"]`, (n) => n.textContent ?? '');
    expect(row).toMatch(/^active/);
    expect(row).toContain('gpu="3"');
    expect(row).toContain('GPU 3 of r0042-t00 at 91 °C');
    expect(row).toMatch(/firing for 12m/);

    // The built-in topology rule: r0051's cooling failure mutes its GPUs' thermal alerts.
    const muted = await fingerprintOf(alertLabels('GpuTemperatureNearSlowdown{r0051,1}'));
    expect(await page.$eval(`.alert[data-fingerprint="${muted}"] .state`, (n) => n.textContent)).toBe('inhibited');

    const history = await texts('#history li');
    expect(history).toContainEqual(expect.stringMatching(/^2m ago\s*resolved\s*GpuTemperatureNearSlowdown.*gpu="0"/));
    expect(history.filter((h) => /firing/.test(h))).toHaveLength(6);
    const json = await api<{ at: string; event: string; labels: Labels }[]>('/api/kiln/v1/history');
    expect(json[0]).toMatchObject({ event: 'resolved', labels: alertLabels('GpuTemperatureNearSlowdown{r0042,0}') });
    expect(pageErrors).toEqual([]);
  });

  it('silences an alert through the form prefilled from its labels', async () => {
    const labels = alertLabels('GpuTemperatureNearSlowdown{r0042,3}');
    const fp = await fingerprintOf(labels);
    await page.click(`.alert[data-fingerprint="${fp}"] .silence-alert`);
    const rows = () =>
      page.$$eval('#matchers .matcher', (nodes) =>
        nodes.map((n) => ({
          use: (n.querySelector('.use') as HTMLInputElement).checked,
          name: (n.querySelector('.name') as HTMLInputElement).value,
          op: (n.querySelector('.op') as HTMLSelectElement).value,
          value: (n.querySelector('.value') as HTMLInputElement).value,
        })),
      );
    const prefilled = await rows();
    expect(prefilled.map((r) => r.name)).toEqual([
      'alertname',
      'category',
      'cluster',
      'gpu',
      'host',
      'rack',
      'severity',
      'uuid',
    ]);
    expect(prefilled.every((r) => r.use && r.op === '=' && r.value === labels[r.name])).toBe(true);

    // Widen it to the rack: untick the labels of the one GPU.
    for (const name of ['gpu', 'host', 'uuid']) {
      const index = prefilled.findIndex((r) => r.name === name);
      await page.click(`#matchers .matcher:nth-child(${index + 1}) .use`);
    }
    await page.locator('#duration').fill('90m');
    await page.locator('#created-by').fill('oncall');
    await page.locator('#comment').fill('CDU pump swap on r0042 <until noon>');
    await page.click('#create-silence');
    await page.waitForSelector('#form-message.ok');

    const [silence, ...others] = await api<ApiSilence[]>('/api/v2/silences');
    expect(others).toEqual([]);
    expect(silence).toMatchObject({
      status: { state: 'active' },
      createdBy: 'oncall',
      comment: 'CDU pump swap on r0042 <until noon>',
    });
    expect(silence!.matchers).toEqual(
      ['alertname', 'category', 'cluster', 'rack', 'severity'].map((name) => ({
        name,
        value: labels[name],
        isRegex: false,
        isEqual: true,
      })),
    );
    expect(Date.parse(silence!.endsAt) - Date.parse(silence!.startsAt)).toBeCloseTo(90 * 60_000, -4);

    // Both hot GPUs of r0042 are silenced now; nothing else is.
    const silenced = await alertsWhere('silenced=true&active=false&inhibited=false');
    expect(silenced.map((a) => a.labels['gpu']).sort()).toEqual(['3', '6']);
    expect(silenced.every((a) => a.status.silencedBy.join() === silence!.id)).toBe(true);
    expect((await alertsWhere('silenced=false')).some((a) => a.labels['rack'] === 'r0042')).toBe(false);

    await page.waitForFunction(
      (f: string) => document.querySelector(`.alert[data-fingerprint="${f}"] .state`)?.textContent === 'silenced',
      {},
      fp,
    );
    const card = await page.$eval(`[data-silence-id="${silence!.id}"]`, (n) => n.textContent ?? '');
    expect(card).toMatch(/^active\s*ends in 1h (29|30)m/);
    expect(card).toContain('rack="r0042"');
    expect(card).toContain('CDU pump swap on r0042 <until noon>');

    // The page as the docs show it: a form prefilled from the cooling alert, on a desktop and on a phone.
    await page.click(
      `.alert[data-fingerprint="${await fingerprintOf(alertLabels('RackCoolingFailure{r0051}'))}"] .silence-alert`,
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot('alerter-ui.png', true);
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('.alert[data-fingerprint]');
    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot('alerter-ui-phone.png', false);
    await page.setViewport({ width: 1280, height: 900 });
    expect(pageErrors).toEqual([]);
  });

  it('expires the silence from the list', async () => {
    const [silence] = await api<ApiSilence[]>('/api/v2/silences');
    // The list shows it once the page has read the silences again: ask for that rather than racing the refresh.
    const expire = `[data-silence-id="${silence!.id}"] .expire`;
    await page.click('#refresh');
    await page.waitForSelector(expire);
    page.once('dialog', (dialog) => void dialog.accept());
    // Found and clicked in one task of the page: a refresh still under way may rebuild the list between a lookup
    // from here and a click sent after it ("Node is detached from document").
    await page.$eval(expire, (button) => (button as HTMLButtonElement).click());
    await waitUntil(
      'the silence expired',
      async () => (await api<ApiSilence>(`/api/v2/silence/${silence!.id}`)).status.state === 'expired',
      5_000,
      50,
    );
    expect((await alertsWhere('silenced=true')).filter((a) => a.status.silencedBy.length > 0)).toEqual([]);
    await page.waitForFunction(() => document.querySelector('#silence-count')?.textContent === '(0)');
    expect(await texts('#silences > .card')).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('renders hostile labels and annotations as text', async () => {
    await fire('GpuTemperatureNearSlowdown{r0077,2}', 1, HOSTILE_SUMMARY, HOSTILE_DESCRIPTION, { job: HOSTILE_LABEL });
    const fp = await waitUntil(
      'the hostile alert',
      async () => (await alertsWhere('filter=rack="r0077"'))[0]?.fingerprint,
      5_000,
      50,
    );
    await page.click('#refresh');
    await page.waitForSelector(`.alert[data-fingerprint="${fp}"]`);
    await page.click(`.alert[data-fingerprint="${fp}"] details summary`);

    expect(await page.$eval(`.alert[data-fingerprint="${fp}"] .summary`, (n) => n.textContent)).toBe(HOSTILE_SUMMARY);
    expect(await page.$eval(`.alert[data-fingerprint="${fp}"] details pre`, (n) => n.textContent)).toBe(
      `description: ${HOSTILE_DESCRIPTION}`,
    );
    expect(await page.$eval(`.alert[data-fingerprint="${fp}"]`, (n) => n.textContent)).toContain(
      `job=${JSON.stringify(HOSTILE_LABEL)}`,
    );
    // The form takes the hostile label as a value, not as markup.
    await page.click(`.alert[data-fingerprint="${fp}"] .silence-alert`);
    expect(await page.$$eval('#matchers .value', (nodes) => nodes.map((n) => (n as HTMLInputElement).value))).toContain(
      HOSTILE_LABEL,
    );

    const injected = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      bold: document.querySelectorAll('b').length,
      scripts: Array.from(document.scripts, (x) => x.getAttribute('src')),
      ran: (window as unknown as { kilnXss?: number }).kilnXss ?? null,
    }));
    expect(injected).toEqual({ images: 0, bold: 0, scripts: ['ui/app.js'], ran: null });
    expect(pageErrors).toEqual([]);
  });
});
