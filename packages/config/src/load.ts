import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type KilnConfig } from './schema.js';
import { overrideFromEnv } from './env.js';
import { formatPath, locateProblems, problemPath } from './problem-location.js';
import { resolveSecretFiles } from './secret-files.js';

/** A configuration that failed validation; the message lists every problem with its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration (${source}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * What the schema cannot say: checks across the whole configuration (routes naming receivers, matcher syntax, fault
 * specs, …), each problem written `<path>: <message>` so that it can be located in the file.
 */
export type ConfigCheck = (config: KilnConfig) => readonly string[];

export interface ParseOptions {
  env?: NodeJS.ProcessEnv;
  baseDir?: string;
  source?: string;
  /** Runs after the schema passes; any problem it returns fails the configuration as schema problems do. */
  check?: ConfigCheck;
  /** The YAML text `raw` was parsed from: problems are then located in it (file:line:column). */
  text?: string;
}

/**
 * Validates a configuration object (YAML already parsed), after applying KILN_<SECTION>_<KEY> environment overrides.
 * Relative paths (data_dir) are resolved against `baseDir`, by default the working directory (as the command line's
 * own relative paths are).
 */
export function parseConfig(raw: unknown, options: ParseOptions = {}): KilnConfig {
  const source = options.source ?? 'config';
  const input = raw ?? {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new ConfigError(source, ['top level: expected a mapping']);
  const files = resolveSecretFiles(input, configSchema);
  const env = overrideFromEnv(files.value as Record<string, unknown>, configSchema, options.env ?? process.env);
  // A problem with a key a variable set is the variable's (KILN_NATS_REPLICAS: nats.replicas: …), not the file's.
  const variableOf = (problem: string): string | undefined => {
    const path = problemPath(problem);
    if (!path) return undefined;
    const text = formatPath(path);
    for (const [key, name] of env.variables)
      if (text === key || text.startsWith(`${key}.`) || text.startsWith(`${key}[`)) return name;
    return undefined;
  };
  const fail = (problems: readonly string[]): never => {
    const named = problems.flatMap((p) => {
      const name = variableOf(p);
      return name ? [`${name}: ${p}`] : [];
    });
    const rest = problems.filter((p) => variableOf(p) === undefined);
    throw new ConfigError(source, [
      ...env.problems,
      ...named,
      ...(options.text !== undefined ? locateProblems(source, options.text, rest) : rest),
    ]);
  };
  const result = configSchema.safeParse(env.config);
  const unresolved = new Set([...files.unresolved, ...env.unresolved]);
  const schemaProblems = result.success
    ? []
    : result.error.issues
        .filter((i) => !unresolved.has(formatPath(i.path)))
        .map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (!result.success || files.problems.length > 0 || env.problems.length > 0)
    return fail([...files.problems, ...schemaProblems]);
  const config = result.data;
  const baseDir = options.baseDir ?? process.cwd();
  if (!isAbsolute(config.data_dir)) config.data_dir = resolve(baseDir, config.data_dir);
  const problems = options.check?.(config) ?? [];
  if (problems.length > 0) fail(problems);
  return config;
}

/**
 * Reads a YAML (or JSON) file and validates it, with `check` after the schema. Without a file, defaults plus
 * environment overrides.
 */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  check?: ConfigCheck,
): Promise<KilnConfig> {
  if (!file) return parseConfig({}, { env, source: 'defaults', ...(check ? { check } : {}) });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parseConfig(raw, { env, source: file, text, ...(check ? { check } : {}) });
}

export { z };
