import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../src/commands/query.js';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));
const kiln = (args: string[], env: Record<string, string | undefined> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });

describe('kiln command line', () => {
  it('lists its commands, and refuses an unknown one', () => {
    const help = kiln(['--help']);
    expect(help.status).toBe(0);
    for (const c of ['up', 'simulate', 'store', 'aggregator', 'alerter', 'agent', 'partitions', 'query'])
      expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const unknown = kiln(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('reports a bad configuration with the path of each problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
    const file = join(dir, 'kiln.yaml');
    writeFileSync(file, 'nats: { replicas: 9 }\nsimulate: { racks: 0 }\n');
    const r = kiln(['up', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nats\.replicas/);
    expect(r.stderr).toMatch(/simulate\.racks/);
  });

  it('prints the NATS servers’ partition mapping for the configured partition count', () => {
    const r = kiln(['partitions', '--mapping'], { KILN_NATS_PARTITIONS: '12' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '"kiln.v1.gpu.*.*.*": "kiln.v1.gpu.{{wildcard(1)}}.{{wildcard(2)}}.{{wildcard(3)}}.{{partition(12,2)}}"',
    );
    expect(kiln(['partitions', '--mapping']).stderr).toMatch(/nats.partitions is 1/);
  });

  it('says how to install nats-server when kiln up cannot find it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
    const r = kiln(['up'], { PATH: '/nonexistent', KILN_DATA_DIR: join(dir, 'state') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nats-server' was not found on PATH.*apt-get install nats-server/s);
  });

  it('prints query results as an aligned table', () => {
    expect(
      formatTable([
        { host: 'r0001-t07', gpu: 2, temp: 84.5 },
        { host: 'r0001-t10', gpu: 0, temp: 71 },
      ]),
    ).toBe(
      [
        'host       gpu  temp',
        '---------  ---  ----',
        'r0001-t07    2  84.5',
        'r0001-t10    0    71',
        '(2 rows)',
        '',
      ].join('\n'),
    );
    expect(formatTable([])).toBe('(no rows)\n');
  });
});
