import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatPath } from './problem-location.js';
import { isSecret, objectShape, unwrap, type Schema } from './schema-walk.js';

/** What the environment made of a configuration: the merged document, and which variable set which key. */
export interface EnvOverrides {
  readonly config: Record<string, unknown>;
  /** Problems with the variables themselves (a secret file that cannot be read), each headed by the variable. */
  readonly problems: readonly string[];
  /** The formatted path of each key a variable set (`nats.replicas`), and that variable (KILN_NATS_REPLICAS). */
  readonly variables: ReadonlyMap<string, string>;
  /** Keys whose secret file could not be read: the schema need not add that they are missing. */
  readonly unresolved: readonly string[];
}

/**
 * Applies KILN_<SECTION>_<KEY> overrides (e.g. KILN_NATS_URL, KILN_CLICKHOUSE_URL, KILN_DATA_DIR,
 * KILN_ALERTER_BASIC_AUTH_USER). Names are matched against the schema's keys, longest key first, so keys that contain
 * underscores resolve without ambiguity. Unknown KILN_ variables are left alone.
 *
 * Values are typed by the schema: a string key takes the text verbatim ('#pw' stays '#pw', '0123' stays '0123'), a
 * number, boolean, list or mapping is read as YAML ("[10000, 60000]"). A secret key also takes KILN_<…>_FILE, the
 * path of a file holding it (a Kubernetes or Docker secret), its one trailing newline dropped.
 */
export function overrideFromEnv(raw: Record<string, unknown>, schema: Schema, env: NodeJS.ProcessEnv): EnvOverrides {
  const config = structuredClone(raw);
  const problems: string[] = [];
  const variables = new Map<string, string>();
  const unresolved: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('KILN_') || value === undefined) continue;
    const target = resolveVariable(name.slice(5).toLowerCase(), schema);
    if (!target) continue;
    let text = value;
    if (target.fromFile) {
      const read = readSecretFile(value);
      if (typeof read !== 'string') {
        problems.push(`${name}: ${read.error}`);
        unresolved.push(formatPath(target.path));
        continue;
      }
      text = read;
    }
    setIn(config, target.path, typeValue(text, target.schema));
    variables.set(formatPath(target.path), name);
  }
  return { config, problems, variables, unresolved };
}

/** The configuration with the environment's overrides applied (see overrideFromEnv). */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  schema: Schema,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  return overrideFromEnv(raw, schema, env).config;
}

/** A secret's file, as Kubernetes and Docker mount them: the text without its trailing newline. */
export function readSecretFile(path: string): string | { error: string } {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    return {
      error: `cannot read the secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
}

function setIn(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Text typed by what the key holds: strings and enums verbatim, everything else as YAML. */
function typeValue(text: string, schema: Schema): unknown {
  const kind = kindOf(schema);
  if (kind === 'string') return text;
  // A string or a list of strings (nats.url): a list only when written as one.
  if (kind === 'string-or-other' && !/^\s*[[{]/.test(text)) return text;
  try {
    return parseYaml(text);
  } catch {
    // Left as text: the schema then says what it expected, under the variable's name.
    return text;
  }
}

function kindOf(schema: Schema): 'string' | 'string-or-other' | 'other' {
  const inner = unwrap(schema);
  const def = (inner as unknown as { def: { type: string; options?: Schema[] } }).def;
  if (def.type === 'string' || def.type === 'enum' || def.type === 'literal') return 'string';
  if (def.type === 'union' && def.options?.some((o) => kindOf(o) === 'string')) return 'string-or-other';
  return 'other';
}

interface Target {
  path: string[];
  schema: Schema;
  fromFile: boolean;
}

function resolveVariable(rest: string, schema: Schema): Target | undefined {
  const direct = resolvePath(rest, schema);
  if (direct) return { ...direct, fromFile: false };
  if (!rest.endsWith('_file')) return undefined;
  const secret = resolvePath(rest.slice(0, -'_file'.length), schema);
  return secret && isSecret(secret.schema) ? { ...secret, fromFile: true } : undefined;
}

function resolvePath(rest: string, schema: Schema): { path: string[]; schema: Schema } | undefined {
  const shape = objectShape(schema);
  if (!shape) return undefined;
  const keys = Object.keys(shape).sort((a, b) => b.length - a.length);
  for (const key of keys) {
    if (rest === key) return { path: [key], schema: shape[key]! };
    if (rest.startsWith(key + '_')) {
      const tail = resolvePath(rest.slice(key.length + 1), shape[key]!);
      if (tail) return { path: [key, ...tail.path], schema: tail.schema };
    }
  }
  return undefined;
}
