// Writes docs/configuration.md and deploy/kiln.schema.json from the configuration schema (run after the build).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configReferenceFiles } from '../dist/config-docs/files.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
for (const file of configReferenceFiles()) {
  const target = join(repoRoot, file.path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, file.text);
  console.log(`wrote ${file.path}`);
}
