import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');

interface Outcome {
  readonly code: number;
  readonly output: string;
}

/** Runs one of the repository's own check tools from its root, as `npm run lint` and `npm run typecheck` do. */
async function tool(name: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(BIN, name), args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const CLEAN_SOURCE = `export async function later(): Promise<number> {
  return 1;
}

export async function both(): Promise<number> {
  return (await later()) + 1;
}
`;

const CLEAN_TEST = `import { expect, it } from 'vitest';
import { both } from '../src/index.js';

it('adds', async () => {
  expect(await both()).toBe(2);
});
`;

/**
 * A workspace written inside the repository for the length of the suite (so the root biome.json, eslint.config.js
 * and tsconfig.base.json apply to it), clean at first; each check then gets one fault and must fail on it. The clean
 * run first shows that each failure is the fault's, not the fixture's.
 */
describe("the repository's checks fail on the faults they exist for", () => {
  let dir: string;
  let source: string;
  let testFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(ROOT, 'test', 'repository', 'checks-fixture-'));
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'test'));
    const base = relative(dir, join(ROOT, 'tsconfig.base.json'));
    const manifest = { name: '@kiln/checks-fixture', private: true, type: 'module', devDependencies: { vitest: '*' } };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: base, compilerOptions: { noEmit: true }, include: ['src'] }),
    );
    // The same shape as every workspace's tsconfig.test.json, which the root `tsc --build` runs.
    await writeFile(
      join(dir, 'tsconfig.test.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { composite: true, declaration: true, rootDir: '.', tsBuildInfoFile: 'test.tsbuildinfo' },
        include: ['src', 'test'],
      }),
    );
    source = join(dir, 'src', 'index.ts');
    testFile = join(dir, 'test', 'index.test.ts');
    await writeFile(source, CLEAN_SOURCE);
    await writeFile(testFile, CLEAN_TEST);
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('the clean workspace passes Biome, ESLint and the typecheck', async () => {
    const [biome, eslint, tsc] = await Promise.all([
      tool('biome', ['lint', dir]),
      tool('eslint', [source]),
      tool('tsc', ['--build', '--force', join(dir, 'tsconfig.test.json')]),
    ]);
    expect(biome.output, 'biome').toMatch(/Checked 5 files/);
    expect([biome.code, eslint.code, tsc.code], `${biome.output}\n${eslint.output}\n${tsc.output}`).toEqual([0, 0, 0]);
  });

  it('lint fails on an unused import', async () => {
    await writeFile(source, `import { join } from 'node:path';\n${CLEAN_SOURCE}`);
    const biome = await tool('biome', ['lint', dir]);
    expect(biome.code).not.toBe(0);
    expect(biome.output).toContain('lint/correctness/noUnusedImports');
  });

  it('lint fails on a floating promise', async () => {
    await writeFile(source, `${CLEAN_SOURCE}\nexport function forgets(): void {\n  later();\n}\n`);
    const eslint = await tool('eslint', [source]);
    expect(eslint.code).not.toBe(0);
    expect(eslint.output).toContain('@typescript-eslint/no-floating-promises');
  });

  it('lint fails on an import of a workspace package the workspace does not declare', async () => {
    await writeFile(
      source,
      `import { GPU_SUBJECTS } from '@kiln/wire';\n${CLEAN_SOURCE}\nexport const subjects = GPU_SUBJECTS;\n`,
    );
    const biome = await tool('biome', ['lint', dir]);
    expect(biome.code).not.toBe(0);
    expect(biome.output).toContain('lint/correctness/noUndeclaredDependencies');
    expect(biome.output).toContain('@kiln/wire');
  });

  it('the typecheck fails on a type error in a test file', async () => {
    await writeFile(source, CLEAN_SOURCE);
    await writeFile(testFile, `${CLEAN_TEST}\nexport const wrong: string = await both();\n`);
    const tsc = await tool('tsc', ['--build', '--force', join(dir, 'tsconfig.test.json')]);
    expect(tsc.code).not.toBe(0);
    expect(tsc.output).toMatch(/test\/index\.test\.ts\(\d+,\d+\): error TS2322/);
  });
});
