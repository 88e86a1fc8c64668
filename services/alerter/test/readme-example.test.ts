import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprint, Inhibitor } from '@kiln/alerts';
import { loadConfig } from '@kiln/config';
import { tempDir } from '@kiln/testkit';
import { describe, expect, it } from 'vitest';
import { AlertingConfigError, buildAlerting } from '../src/index.js';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

/** The YAML of the README's worked example, loaded as Kiln loads its configuration file. */
async function workedExample() {
  const text = await readFile(README, 'utf8');
  const section = text.slice(text.indexOf('## Worked example'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!yaml) throw new Error('no yaml block in the worked example');
  const dir = await tempDir('kiln-readme-');
  try {
    await writeFile(join(dir.path, 'kiln.yaml'), yaml);
    return await loadConfig(join(dir.path, 'kiln.yaml'), {});
  } finally {
    await dir.remove();
  }
}

const alert = (labels: Record<string, string>) => ({ category: 'thermal', ...labels });

describe("the README's GB300 fleet example", () => {
  it('routes by severity and cluster as its table says', async () => {
    const { route } = buildAlerting(await workedExample());
    const receivers = (labels: Record<string, string>) => route.match(alert(labels)).map((r) => r.receiver);
    const gpu = {
      alertname: 'GpuTemperatureNearSlowdown',
      severity: 'critical',
      cluster: 'eus2-ai1',
      rack: 'r0042',
      host: 'r0042-t00',
      gpu: '3',
    };
    expect(receivers(gpu)).toEqual(['company-am', 'gpu-oncall', 'gpu-fleet-chat']);
    expect(
      receivers({ alertname: 'RackCoolingFailure', severity: 'critical', cluster: 'eus2-ai1', rack: 'r0042' }),
    ).toEqual(['company-am', 'eus2-facilities', 'gpu-fleet-chat']);
    expect(
      receivers({ alertname: 'RackCoolingFailure', severity: 'critical', cluster: 'wus3-ai2', rack: 'r0001' }),
    ).toEqual(['company-am', 'gpu-oncall', 'gpu-fleet-chat']);
    expect(
      receivers({
        alertname: 'EccDoubleBitErrors',
        severity: 'warning',
        category: 'hardware',
        cluster: 'eus2-ai1',
        rack: 'r0042',
        host: 'r0042-t07',
      }),
    ).toEqual(['company-am', 'tickets', 'gpu-fleet-chat']);
    expect(
      receivers({
        alertname: 'GpuUnderutilized',
        severity: 'info',
        category: 'utilization',
        cluster: 'eus2-ai1',
        rack: 'r0042',
      }),
    ).toEqual(['company-am', 'gpu-fleet-chat']);
  });

  it("mutes the per-GPU thermal alerts of a rack whose cooling failed, and no other rack's", async () => {
    const { inhibitRules } = buildAlerting(await workedExample());
    const inhibitor = new Inhibitor(inhibitRules);
    const cooling = alert({
      alertname: 'RackCoolingFailure',
      severity: 'critical',
      cluster: 'eus2-ai1',
      rack: 'r0042',
    });
    inhibitor.update(fingerprint(cooling), cooling, true);
    const hot = (rack: string) =>
      alert({
        alertname: 'GpuTemperatureNearSlowdown',
        severity: 'critical',
        cluster: 'eus2-ai1',
        rack,
        host: `${rack}-t00`,
        gpu: '3',
        uuid: 'GPU-1',
      });
    expect(inhibitor.inhibitedBy(fingerprint(hot('r0042')), hot('r0042'))).toEqual([fingerprint(cooling)]);
    expect(inhibitor.inhibitedBy(fingerprint(hot('r0043')), hot('r0043'))).toEqual([]);
  });

  it('names every problem of a routing configuration at once', async () => {
    const config = await workedExample();
    const broken = {
      ...config,
      route: { receiver: 'nobody', routes: [{ matchers: ['severity=critical"'] }] },
      inhibit_rules: [{ source_matchers: ['x'], target_matchers: ['a="b"'], equal: [] }],
    };
    expect(() => buildAlerting(broken)).toThrow(AlertingConfigError);
    try {
      buildAlerting(broken);
    } catch (err) {
      expect((err as AlertingConfigError).problems).toEqual([
        'route.receiver: no receiver named "nobody" in notify (known: gpu-oncall, eus2-facilities, gpu-fleet-chat, tickets, company-am)',
        'route.routes[0].matchers[0]: "severity=critical\\"": stray quote in value',
        'inhibit_rules[0].source_matchers[0]: "x": expected name="value" with one of = != =~ !~',
      ]);
    }
  });
});
