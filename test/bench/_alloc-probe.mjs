import v8 from 'node:v8';
import vm from 'node:vm';
import { parseConfig } from '@kiln/config';
import { Detection } from '@kiln/detect';
import { Fleet } from '@kiln/simulator';
import { METRIC_COUNT, METRIC_ID, SampleBatch } from '@kiln/wire';
import { GpuRegistry } from '@kiln/window';
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const NAMES = Object.keys(METRIC_ID);
const fleet = new Fleet({ cluster: 'b', racks: 20, seed: 1, startMs: Date.UTC(2026, 0, 15) });
const batch = new SampleBatch(fleet.gpuCount);
const registry = new GpuRegistry();
const only = process.argv[2];
const cfg = parseConfig({}, { env: {} }).detect;
if (only) for (const k of Object.keys(cfg)) if (k !== only) cfg[k].enabled = false;
const d = new Detection(registry, cfg, () => {});
function fill() {
  batch.clear();
  for (const m of fleet.tickShared()) for (const g of m.gpus) {
    const row = batch.length++; const o = row * METRIC_COUNT;
    for (let k = 0; k < METRIC_COUNT; k++) { const v = g[NAMES[k]]; batch.values[o + k] = v === undefined ? NaN : v; }
    batch.ts[row] = m.ts; batch.gpu[row] = g.gpu; batch.cluster[row] = m.cluster; batch.rack[row] = m.rack; batch.host[row] = m.host; batch.uuid[row] = g.uuid; batch.job[row] = g.job ?? '';
  }
}
const ids = new Int32Array(batch.capacity);
const res = [];
for (let t = 0; t < 80; t++) {
  fill();
  for (let r = 0; r < batch.length; r++) ids[r] = registry.id(batch.cluster[r], batch.rack[r], batch.host[r], batch.gpu[r]);
  gc(); const b0 = process.memoryUsage().heapUsed;
  for (let rep = 0; rep < 5; rep++) for (let r = 0; r < batch.length; r++) d.onSample(batch, r, ids[r]);
  const b1 = process.memoryUsage().heapUsed;
  if (t >= 40) res.push(b1 - b0);
}
console.log(only ?? 'all', 'bytes per 5 passes over', batch.length, ':', res.slice(0, 12).join(' '));
