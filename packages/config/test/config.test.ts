import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtemp } from 'node:fs/promises';
import { ConfigError, loadConfig, parseConfig } from '../src/index.js';

describe('config', () => {
  it('fills every default from an empty document', () => {
    const c = parseConfig({}, { env: {}, baseDir: '/srv/kiln' });
    expect(c.data_dir).toBe('/srv/kiln/.kiln');
    expect(c.nats.url).toBeUndefined();
    expect(c.clickhouse.listen).toBe('127.0.0.1:8123');
    expect(c.aggregator.windows_ms).toEqual([10_000, 60_000]);
    expect(c.detect.thermal.margin_c).toBe(5);
    expect(c.notify).toEqual([]);
  });

  it('applies KILN_<SECTION>_<KEY> overrides, typed, including keys with underscores', () => {
    const c = parseConfig(
      { nats: { url: 'nats://a:4222' }, aggregator: { flush_ms: 100 } },
      {
        env: {
          KILN_NATS_URL: 'nats://b:4222',
          KILN_AGGREGATOR_FLUSH_MS: '250',
          KILN_DATA_DIR: '/var/lib/kiln',
          KILN_ALERTER_BASIC_AUTH_USER: 'ops',
          KILN_ALERTER_BASIC_AUTH_PASSWORD: 's3cret',
          KILN_DETECT_THERMAL_MARGIN_C: '7.5',
          KILN_UNRELATED: 'x',
        },
      },
    );
    expect(c.nats.url).toBe('nats://b:4222');
    expect(c.aggregator.flush_ms).toBe(250);
    expect(c.data_dir).toBe('/var/lib/kiln');
    expect(c.alerter.basic_auth).toEqual({ user: 'ops', password: 's3cret', protect_reads: false });
    expect(c.detect.thermal.margin_c).toBe(7.5);
  });

  it('reports every problem with its path', () => {
    let err: unknown;
    try {
      parseConfig({ nats: { replicas: 9 }, notify: [{ type: 'webhook', url: 'not a url' }], bogus: 1 }, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    expect(text).toMatch(/nats\.replicas/);
    expect(text).toMatch(/notify\[0\]\.url/);
    expect(text).toMatch(/bogus/);
  });

  it('loads YAML (and JSON, which is YAML); a relative data_dir is taken from the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-config-'));
    const file = join(dir, 'kiln.yaml');
    await writeFile(file, 'data_dir: state\nnotify:\n  - { type: pagerduty, routing_key: abc }\n');
    const c = await loadConfig(file, {});
    expect(c.data_dir).toBe(join(process.cwd(), 'state'));
    expect(c.notify[0]).toEqual({
      type: 'pagerduty',
      routing_key: 'abc',
      url: 'https://events.pagerduty.com/v2/enqueue',
      incident: 'alert',
    });
    await writeFile(file, '{"simulate": {"racks": 2}}');
    expect((await loadConfig(file, {})).simulate.racks).toBe(2);
    await writeFile(file, 'nats: [unclosed');
    await expect(loadConfig(file, {})).rejects.toThrow(/not valid YAML/);
  });
});

describe('clickhouse.cluster', () => {
  it('names the cluster the schema is created on, and refuses what is not a remote_servers name', () => {
    expect(
      parseConfig({ clickhouse: { url: 'http://ch:8123', cluster: 'kiln_gpu' } }, { env: {} }).clickhouse.cluster,
    ).toBe('kiln_gpu');
    expect(() => parseConfig({ clickhouse: { cluster: 'kiln gpu; DROP' } }, { env: {} })).toThrow(
      /clickhouse\.cluster/,
    );
  });
});
