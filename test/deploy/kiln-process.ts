import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { applyEnvOverrides, configSchema, parseConfig, type KilnConfig } from '@kiln/config';
import type { Dockerfile } from './dockerfile.js';

/** KILN_ variables that configure the process itself rather than a configuration key. */
const PROCESS_VARIABLES = new Set(['KILN_LOG_LEVEL']);

/** Where a container's command line runs a script of the Kiln image: `node <install root>/…`. */
export function isKilnCommand(argv: readonly string[], installRoot: string): boolean {
  return argv[0] === 'node' && argv[1] !== undefined && argv[1].startsWith(`${installRoot}/`);
}

/**
 * The script a Kiln container runs, as a path in this repository: the file the image's Dockerfile copies there from
 * the build context, else (an image of the whole checkout, as deploy/Dockerfile is) the same path under its WORKDIR.
 */
export function scriptInRepo(argv: readonly string[], image: Dockerfile, repoRoot: string): string {
  return join(repoRoot, image.copies.get(argv[1]!) ?? relative(image.workdir, argv[1]!));
}

/** The value of --config / -c on a command line. */
export function configPathOf(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((a) => a === '--config' || a === '-c');
  return at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

/**
 * Runs the container's command line here with --help added: the kiln command (or kiln-agent) parses it strictly and
 * exits 0 with the usage only when the subcommand exists and accepts every option given.
 */
export async function helpRun(
  argv: readonly string[],
  image: Dockerfile,
  repoRoot: string,
): Promise<{ code: number; output: string }> {
  const script = scriptInRepo(argv, image, repoRoot);
  if (!existsSync(script)) return { code: -1, output: `${script} does not exist` };
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...argv.slice(2), '--help'], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** A Kiln configuration file's text as the process reads it: YAML, then its KILN_ environment, validated strictly. */
export function kilnConfig(text: string, env: Readonly<Record<string, string>>, source: string): KilnConfig {
  return parseConfig(parse(text), { env: { ...env }, source, baseDir: '/' });
}

/** KILN_ variables that name no configuration key (a typo there leaves the key unset without a word). */
export function unknownKilnVariables(names: readonly string[]): string[] {
  return names.filter(
    (name) =>
      name.startsWith('KILN_') &&
      !PROCESS_VARIABLES.has(name) &&
      Object.keys(applyEnvOverrides({}, configSchema, { [name]: 'x' })).length === 0,
  );
}

/** host and port of a host:port listen address or a URL. */
export function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  const fallback = url.protocol === 'http:' ? 80 : url.protocol === 'https:' ? 443 : Number.NaN;
  return { host: url.hostname, port: url.port === '' ? fallback : Number(url.port) };
}
