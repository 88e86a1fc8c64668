import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { promtool } from './promtool.js';

const here = dirname(fileURLToPath(import.meta.url));
const RULES = join(here, '..', '..', '..', 'deploy', 'kiln-self-alerts.yaml');

it("Kiln's own alert rules are valid Prometheus rules", async () => {
  const { code, output } = await promtool(['check', 'rules', RULES]);
  expect(output).toMatch(/SUCCESS: 8 rules found/);
  expect(code, output).toBe(0);
});

it('each rule fires on the failure it names and not on its look-alike (promtool test rules)', async () => {
  const { code, output } = await promtool(['test', 'rules', 'kiln-self-alerts.test.yaml'], '', join(here, 'fixtures'));
  expect(output).toMatch(/SUCCESS/);
  expect(code, output).toBe(0);
});
