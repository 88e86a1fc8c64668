// Kiln's Grafana dashboards, built from the modules beside this one. `node deploy/grafana/generator/dashboards.mjs`
// rewrites deploy/grafana/dashboards/*.json from them; with `--check` it only reports files that differ (exit 1), as
// a test in packages/store does before it runs every query they hold.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { alerts } from './alerts.mjs';
import { fleet } from './fleet.mjs';
import { gpu } from './gpu.mjs';
import { rack } from './rack.mjs';

/** File name → dashboard. */
export const DASHBOARDS = {
  'kiln-fleet.json': fleet,
  'kiln-rack.json': rack,
  'kiln-gpu.json': gpu,
  'kiln-alerts.json': alerts,
};

/** A dashboard file's text: JSON, two-space indented, with a final newline. */
export function dashboardText(dashboard) {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  for (const [file, dashboard] of Object.entries(DASHBOARDS)) {
    const path = new URL(`../dashboards/${file}`, import.meta.url);
    if (!check) await writeFile(path, dashboardText(dashboard));
    else if ((await readFile(path, 'utf8').catch(() => '')) !== dashboardText(dashboard)) {
      console.error(`${file} is not what generator/ builds: run node deploy/grafana/generator/dashboards.mjs`);
      process.exitCode = 1;
    }
  }
}
