import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kiln.js', import.meta.url));
const kiln = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
const dir = mkdtempSync(join(tmpdir(), 'kiln-check-'));
const write = (name: string, lines: string[]): string => {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
};

const GOOD = [
  'nats: { url: "nats://127.0.0.1:4222" }',
  'notify:',
  '  - { type: webhook, name: ops, url: "http://127.0.0.1:9/hook" }',
  '  - { type: slack, name: chat, url: "http://127.0.0.1:9/slack" }',
  'route:',
  '  receiver: ops',
  '  routes:',
  '    - { receiver: chat, matchers: [severity="warning"] }',
  'simulate: { faults: ["overheat:r0001-t07/2@60s+3m"] }',
];

describe('kiln check', () => {
  it('says ok with a one-line summary for a valid configuration', () => {
    const r = kiln(['check', '--config', write('good.yaml', GOOD)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^ok\n.*good\.yaml: nats nats:\/\/127\.0\.0\.1:4222, .*2 receiver\(s\), 2 route\(s\), 0 inhibit rule\(s\), 1 fault\(s\)\n$/,
    );
  });

  it('names every problem beyond the schema with file, line and column, and exits 1', () => {
    const file = write('bad.yaml', [
      'notify:',
      '  - { type: webhook, name: ops, url: "http://127.0.0.1:9/hook" }',
      'route:',
      '  receiver: ops',
      '  routes:',
      '    - receiver: nobody',
      '      matchers: [severity=="warning"]',
      'inhibit_rules:',
      '  - { source_matchers: [alertname="A"], target_matchers: ["rack~x"] }',
      'simulate:',
      '  faults: ["overheat:r0001-t07/2@60s+3m", "melt:r0001-t07@1s"]',
      'alerter: { listen: "127.0.0.1:9464" }',
    ]);
    const r = kiln(['check', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}:6:17: route.routes[0].receiver: no receiver named "nobody"`);
    expect(r.stderr).toContain(`${file}:7:18: route.routes[0].matchers[0]: `);
    expect(r.stderr).toContain(`${file}:9:59: inhibit_rules[0].target_matchers[0]: `);
    expect(r.stderr).toContain(`${file}:11:43: simulate.faults[1]: invalid fault "melt:r0001-t07@1s"`);
    expect(r.stderr).toContain(`${file}:12:20: alerter.listen: 127.0.0.1:9464 is also metrics.listen`);
    expect(r.stderr).toContain(`${file}: metrics.listen: 127.0.0.1:9464 is also alerter.listen`);
  });

  it('locates schema problems too', () => {
    const file = write('schema.yaml', ['nats:', '  replicas: 9', 'clickhouse: { listen: "127.0.0.1:99999" }']);
    const r = kiln(['check', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:2:13: nats.replicas: `);
    expect(r.stderr).toContain(`${file}:3:23: clickhouse.listen: the port must be 0..65535`);
  });

  it('kiln up refuses a bad route matcher before it starts anything', () => {
    // Without nats-server on PATH: a start that got as far as NATS would say so instead.
    const file = write('up.yaml', [
      `data_dir: ${join(dir, 'state')}`,
      'notify: [{ type: webhook, name: ops, url: "http://127.0.0.1:9/h" }]',
      'route: { receiver: ops, routes: [{ matchers: ["rack=~("] }] }',
    ]);
    const r = kiln(['up', '--config', file], { PATH: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:3:47: route.routes[0].matchers[0]: `);
    expect(r.stderr).not.toMatch(/nats-server/);
  });
});
