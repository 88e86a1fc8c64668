#!/usr/bin/env node
// The benchmark harness: runs every benchmark module (this folder, and test/bench/ of each package and service), or
// those whose file name contains a word given on the command line, and prints their figures as one table.
// Each module exports `run()` returning [{ name, value, unit, note? }].
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const repo = join(here, '..', '..');
async function modulesIn(dir) {
  const names = await readdir(dir).catch(() => []);
  return names.filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_')).map((f) => join(dir, f));
}
const dirs = [here];
for (const group of ['packages', 'services']) {
  for (const name of await readdir(join(repo, group)).catch(() => []))
    dirs.push(join(repo, group, name, 'test', 'bench'));
}
const files = (await Promise.all(dirs.map(modulesIn)))
  .flat()
  .filter((f) => wanted.length === 0 || wanted.some((w) => basename(f).includes(w)))
  .sort((a, b) => basename(a).localeCompare(basename(b)));

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `kiln bench: node ${process.version}, ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
console.log(`${new Date().toISOString()}\n`);

const rows = [];
let failed = 0;
for (const file of files) {
  const area = basename(file, '.js');
  process.stderr.write(`running ${area} …\n`);
  try {
    const mod = await import(file);
    const started = performance.now();
    const results = await mod.run();
    for (const r of results) rows.push({ area, ...r });
    process.stderr.write(`  ${area}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    failed++;
    rows.push({ area, name: 'FAILED', value: NaN, unit: '', note: String(err?.stack ?? err).split('\n')[0] });
  }
}

const fmt = (v) =>
  Number.isFinite(v) ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3)) : String(v);
const table = rows.map((r) => [r.area, r.name, fmt(r.value), r.unit, r.note ?? '']);
const head = ['area', 'measure', 'value', 'unit', 'note'];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const line = (cells) =>
  cells
    .map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
process.exitCode = failed ? 1 : 0;
