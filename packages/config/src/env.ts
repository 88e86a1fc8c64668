import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

type Schema = z.ZodType;

/** Peels default/prefault/optional/nullable wrappers to reach the schema that says what a key holds. */
function unwrap(schema: Schema): Schema {
  let s: Schema = schema;
  for (;;) {
    const def = (s as unknown as { def: { type: string; innerType?: Schema } }).def;
    if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'nullable') && def.innerType) {
      s = def.innerType;
    } else return s;
  }
}

function objectShape(schema: Schema): Record<string, Schema> | undefined {
  const inner = unwrap(schema) as unknown as { def: { type: string; shape?: Record<string, Schema> } };
  return inner.def.type === 'object' ? inner.def.shape : undefined;
}

/** Env values are YAML scalars or flow collections: "5000" is a number, "[a, b]" a list, "true" a boolean. */
function parseEnvValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

/**
 * Applies KILN_<SECTION>_<KEY> overrides (e.g. KILN_NATS_URL, KILN_CLICKHOUSE_URL, KILN_DATA_DIR,
 * KILN_ALERTER_BASIC_AUTH_USER). Names are matched against the schema's keys, longest key first, so keys that contain
 * underscores resolve without ambiguity. Unknown KILN_ variables are left alone.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  schema: Schema,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('KILN_') || value === undefined) continue;
    const path = resolvePath(name.slice(5).toLowerCase(), schema);
    if (!path) continue;
    let node: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = parseEnvValue(value);
  }
  return out;
}

function resolvePath(rest: string, schema: Schema): string[] | undefined {
  const shape = objectShape(schema);
  if (!shape) return undefined;
  const keys = Object.keys(shape).sort((a, b) => b.length - a.length);
  for (const key of keys) {
    if (rest === key) return [key];
    if (rest.startsWith(key + '_')) {
      const tail = resolvePath(rest.slice(key.length + 1), shape[key]!);
      if (tail) return [key, ...tail];
    }
  }
  return undefined;
}
