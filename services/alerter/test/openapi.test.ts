import { readFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startTestNatsServer, waitUntil, type TestNatsServer } from '@kiln/testkit';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertLabels, Scenario } from './scenario.js';

/**
 * The alerter's API v2 responses, checked against Alertmanager's own definition of that API
 * (test/fixtures/alertmanager-openapi.yaml, from an Alertmanager release): what clients generated from it, amtool
 * among them, expect of every field. The alerter runs for real with alerts in every state (active, silenced,
 * inhibited) and silences in every state (active, pending, expired), so that no optional branch goes unchecked.
 */

const SPEC = new URL('./fixtures/alertmanager-openapi.yaml', import.meta.url);

type JsonSchema = Readonly<Record<string, unknown>>;
interface SwaggerDocument {
  readonly swagger: string;
  readonly basePath: string;
  readonly definitions: Readonly<Record<string, JsonSchema>>;
  readonly paths: Readonly<
    Record<
      string,
      {
        readonly get?: {
          readonly operationId: string;
          readonly responses: Readonly<Record<string, { readonly schema?: JsonSchema }>>;
        };
      }
    >
  >;
}

/** Swagger 2.0 keywords that are annotations only, unknown to JSON Schema (ajv's strict mode refuses unknown keywords). */
const SWAGGER_ANNOTATIONS = ['discriminator', 'example', 'externalDocs', 'xml'];

/** Every `x-` vendor extension used anywhere in the document: annotations too. */
function vendorExtensions(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => vendorExtensions(n, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('x-')) found.add(key);
      vendorExtensions(value, found);
    }
  }
  return found;
}

/**
 * A validator per GET operation of the document, keyed by its path under basePath. Swagger 2.0 schemas are a subset of
 * JSON Schema draft 4 (type, properties, required, allOf, items, enum, additionalProperties, minItems), which ajv's
 * default draft-07 dialect reads the same way; each operation's 200 schema becomes the root of one schema that carries
 * the document's `definitions`, so its `#/definitions/...` references resolve as they do in the document. Formats
 * (date-time, uri) are checked too: a client parses them.
 */
function loadValidators(doc: SwaggerDocument): Map<string, { operationId: string; validate: ValidateFunction }> {
  // strictRequired off: gettableSilence requires `annotations` in an allOf branch whose sibling declares it, which JSON
  // Schema allows (required applies to the instance) but ajv's strict mode flags.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  formats.default(ajv);
  ajv.addVocabulary([...SWAGGER_ANNOTATIONS, ...vendorExtensions(doc)]);
  const out = new Map<string, { operationId: string; validate: ValidateFunction }>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const schema = item.get?.responses['200']?.schema;
    if (!item.get || !schema) continue;
    out.set(`/api/v2${path}`, {
      operationId: item.get.operationId,
      validate: ajv.compile({ ...schema, definitions: doc.definitions }),
    });
  }
  return out;
}

let nats: TestNatsServer;
let nc: NatsConnection;
let s: Scenario;
let validators: Map<string, { operationId: string; validate: ValidateFunction }>;
const silenceIds: Record<'silencing' | 'pending' | 'expired', string> = { silencing: '', pending: '', expired: '' };

const api = (path: string, init: RequestInit = {}) => fetch(`${s.alerter.api.url}${path}`, init);
const post = async (path: string, body: unknown): Promise<unknown> => {
  const res = await api(path, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
};
const hour = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();
const silence = (rack: string, extra: Record<string, unknown> = {}) => ({
  matchers: [
    { name: 'alertname', value: 'GpuHot', isRegex: false, isEqual: true },
    { name: 'rack', value: rack, isRegex: false, isEqual: true },
  ],
  startsAt: hour(0),
  endsAt: hour(1),
  createdBy: 'oncall',
  comment: `GPU work in ${rack}`,
  ...extra,
});

/** The problems ajv finds in a body, one line each (empty when it conforms), so a failure names every field at once. */
function problems(path: string, body: unknown): string[] {
  const v = validators.get(path.replace(/\/silence\/[^/?]+/, '/silence/{silenceID}').replace(/\?.*$/, ''));
  if (!v) throw new Error(`no GET operation in the definition for ${path}`);
  return v.validate(body)
    ? []
    : (v.validate.errors ?? []).map(
        (e) => `${v.operationId}${e.instancePath} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
      );
}

async function getChecked(path: string): Promise<unknown> {
  const res = await api(path);
  expect(res.status, `GET ${path}`).toBe(200);
  const body = (await res.json()) as unknown;
  expect(problems(path, body), `GET ${path} against Alertmanager's definition`).toEqual([]);
  return body;
}

beforeAll(async () => {
  const doc = parse(await readFile(SPEC, 'utf8')) as SwaggerDocument;
  expect(doc.swagger).toBe('2.0');
  validators = loadValidators(doc);
  nats = await startTestNatsServer();
  nc = await connect({ servers: nats.url });
  s = await Scenario.start(nc, 'openapi', {
    receivers: { hook: { type: 'webhook' } },
    route: { receiver: 'hook', group_by: ['alertname', 'rack'], group_wait: '200ms', group_interval: '1s' },
  });
  // Silences: one muting rack r1 (with annotations), one not started yet, one expired.
  silenceIds.silencing = (
    (await post('/api/v2/silences', silence('r1', { annotations: { ticket: 'OPS-1234', kind: 'planned' } }))) as {
      silenceID: string;
    }
  ).silenceID;
  silenceIds.pending = (
    (await post('/api/v2/silences', silence('r5', { startsAt: hour(1), endsAt: hour(2) }))) as { silenceID: string }
  ).silenceID;
  silenceIds.expired = ((await post('/api/v2/silences', silence('r9'))) as { silenceID: string }).silenceID;
  expect((await api(`/api/v2/silence/${silenceIds.expired}`, { method: 'DELETE' })).status).toBe(200);
  // Alerts: r1 silenced, r2's GPU inhibited by its rack's cooling failure (a built-in topology rule), r3 active, and
  // one posted through the API with a generator URL.
  await s.play(`
    0 +GpuHot{r1,0}
    0 +RackCoolingFailure{r2}
    0 +GpuHot{r2,0}
    0 +GpuHot{r3,0}
  `);
  await post('/api/v2/alerts', [
    {
      labels: alertLabels('GpuHot{r4,1}'),
      annotations: { summary: 'posted', description: 'by a rule' },
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=gpu_temp_c',
    },
  ]);
  await waitUntil(
    'five alerts, each in its state',
    async () => {
      const alerts = (await (await api('/api/v2/alerts')).json()) as {
        status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
      }[];
      const states = alerts
        .map((a) =>
          a.status.silencedBy.length > 0 ? 'silenced' : a.status.inhibitedBy.length > 0 ? 'inhibited' : a.status.state,
        )
        .sort();
      return JSON.stringify(states) === JSON.stringify(['active', 'active', 'active', 'inhibited', 'silenced']);
    },
    10_000,
    50,
  );
});
afterAll(async () => {
  await s?.stop();
  await nc?.close();
  await nats?.dispose();
});

describe("responses against Alertmanager's API v2 definition", () => {
  it('has a validator for every GET operation, and it refuses what the definition refuses', () => {
    expect([...validators.keys()].sort()).toEqual([
      '/api/v2/alerts',
      '/api/v2/alerts/groups',
      '/api/v2/receivers',
      '/api/v2/silence/{silenceID}',
      '/api/v2/silences',
      '/api/v2/status',
    ]);
    // Not vacuous: a group without routeLabels, an alert without mutedBy, a silence without annotations all fail.
    expect(problems('/api/v2/alerts/groups', [{ labels: {}, receiver: { name: 'hook' }, alerts: [] }])).toEqual([
      expect.stringContaining("must have required property 'routeLabels'"),
    ]);
    expect(
      problems('/api/v2/status', {
        cluster: { status: 'disabled' },
        config: { original: '' },
        uptime: 'yesterday',
        versionInfo: {},
      }),
    ).not.toEqual([]);
    expect(
      problems('/api/v2/silence/x', {
        id: 'x',
        status: { state: 'active' },
        updatedAt: hour(0),
        matchers: [{ name: 'a', value: 'b', isRegex: false }],
        startsAt: hour(0),
        endsAt: hour(1),
        createdBy: 'me',
        comment: '',
      }),
    ).toEqual([expect.stringContaining("must have required property 'annotations'")]);
  });

  it('GET /status and /receivers', async () => {
    await getChecked('/api/v2/status');
    expect(await getChecked('/api/v2/receivers')).toEqual([{ name: 'hook' }]);
  });

  it('GET /alerts, with its filters', async () => {
    const all = (await getChecked('/api/v2/alerts')) as { labels: Record<string, string>; generatorURL?: string }[];
    expect(all).toHaveLength(5);
    expect(all.find((a) => a.labels['rack'] === 'r4')?.generatorURL).toBe(
      'http://prometheus.example:9090/graph?g0.expr=gpu_temp_c',
    );
    expect(await getChecked('/api/v2/alerts?active=false')).toHaveLength(2);
    expect(await getChecked('/api/v2/alerts?silenced=false&inhibited=false&filter=alertname="GpuHot"')).toHaveLength(2);
  });

  it('GET /alerts/groups, each group with its route labels', async () => {
    const groups = (await getChecked('/api/v2/alerts/groups')) as {
      labels: Record<string, string>;
      routeLabels: Record<string, string>;
    }[];
    expect(groups.map((g) => `${g.labels['alertname']}/${g.labels['rack']}`).sort()).toEqual([
      'GpuHot/r1',
      'GpuHot/r2',
      'GpuHot/r3',
      'GpuHot/r4',
      'RackCoolingFailure/r2',
    ]);
    // Kiln's routes set no labels of their own (Alertmanager's route `labels`), so every group's are empty.
    expect(groups.every((g) => Object.keys(g.routeLabels).length === 0)).toBe(true);
    await getChecked('/api/v2/alerts/groups?active=false&receiver=hook');
  });

  it('GET /silences and /silence/{id} in every state, annotations as posted', async () => {
    const listed = (await getChecked('/api/v2/silences')) as {
      id: string;
      status: { state: string };
      annotations: Record<string, string>;
    }[];
    expect(listed.map((x) => [x.id, x.status.state])).toEqual([
      [silenceIds.silencing, 'active'],
      [silenceIds.pending, 'pending'],
      [silenceIds.expired, 'expired'],
    ]);
    expect(await getChecked(`/api/v2/silence/${silenceIds.silencing}`)).toMatchObject({
      annotations: { ticket: 'OPS-1234', kind: 'planned' },
    });
    expect(await getChecked(`/api/v2/silence/${silenceIds.pending}`)).toMatchObject({ annotations: {} });
    await getChecked(`/api/v2/silence/${silenceIds.expired}`);
    await getChecked('/api/v2/silences?filter=rack="r1"');
    const unexpired = (await getChecked('/api/v2/silences?expired=false&pending=false')) as { id: string }[];
    expect(unexpired.map((x) => x.id)).toEqual([silenceIds.silencing]);
  });
});
