#!/usr/bin/env node
// Kiln's schema migrations against a ClickHouse server or cluster, or the DDL they run, printed for review:
//   node deploy/clickhouse/migrate.mjs --url http://ch-s1-r1:8123 --user kiln --cluster kiln   (password: $KILN_CLICKHOUSE_PASSWORD)
//   node deploy/clickhouse/migrate.mjs --print [--cluster kiln]
// Options: --database (default kiln), --raw-days (raw retention, default 14). Kiln's own services migrate a single
// server (or the embedded engine) on start; a cluster is migrated with --cluster, which creates every table ON CLUSTER
// as a Replicated local table plus a Distributed table under the name Kiln and Grafana query.
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { createStore, DEFAULT_RETENTION, schemaStatements } from '@kiln/store';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    user: { type: 'string', default: 'default' },
    cluster: { type: 'string' },
    database: { type: 'string', default: 'kiln' },
    'raw-days': { type: 'string' },
    print: { type: 'boolean', default: false },
  },
});
const rawDays = values['raw-days'] === undefined ? DEFAULT_RETENTION.rawDays : Number(values['raw-days']);
if (!Number.isInteger(rawDays) || rawDays < 1)
  throw new Error(`--raw-days must be a whole number of days, got ${values['raw-days']}`);
const retention = { ...DEFAULT_RETENTION, rawDays };

if (values.print) {
  const statements = schemaStatements({ database: values.database, cluster: values.cluster }, { retention });
  process.stdout.write(statements.map((s) => `${s};\n`).join('\n'));
} else {
  if (values.url === undefined) throw new Error('--url is required (or --print)');
  const store = await createStore({
    url: values.url,
    user: values.user,
    password: process.env.KILN_CLICKHOUSE_PASSWORD ?? '',
    cluster: values.cluster,
    database: values.database,
    dataDir: tmpdir(),
    retention,
  });
  try {
    const report = await store.migrate();
    for (const m of report.applied) process.stdout.write(`applied ${m.version}: ${m.name}\n`);
    process.stdout.write(`schema version ${report.version}\n`);
  } finally {
    await store.close();
  }
}
