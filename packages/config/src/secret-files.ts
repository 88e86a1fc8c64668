import { readSecretFile } from './env.js';
import { formatPath, type ConfigPath } from './problem-location.js';
import { isSecret, listItem, objectShape, unionOption, type Schema } from './schema-walk.js';

/**
 * Replaces each `<key>_file` of the YAML whose `<key>` is a secret (notify's routing_key_file, url_file of a slack
 * receiver, clickhouse.password_file, …) by `<key>` with the file's text: secrets stay out of the configuration file,
 * in files Kubernetes or Docker mount. Problems (unreadable file, both keys set) are named by their path.
 */
export function resolveSecretFiles(
  raw: unknown,
  schema: Schema,
): { value: unknown; problems: string[]; unresolved: string[] } {
  const problems: string[] = [];
  // Secrets whose file failed: the schema need not add that they are missing.
  const unresolved: string[] = [];
  const walk = (value: unknown, s: Schema, path: ConfigPath): unknown => {
    if (Array.isArray(value)) {
      const item = listItem(s);
      return item ? value.map((v, i) => walk(v, item, [...path, i])) : value;
    }
    if (typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    const shape = objectShape(s) ?? objectShape(unionOption(s, record) ?? s);
    if (!shape) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(record)) {
      const base = key.endsWith('_file') ? key.slice(0, -'_file'.length) : undefined;
      const secret = base !== undefined && !(key in shape) && shape[base] !== undefined && isSecret(shape[base]);
      if (!secret) {
        out[key] = shape[key] ? walk(v, shape[key], [...path, key]) : v;
        continue;
      }
      if (base in record) {
        problems.push(`${formatPath([...path, key])}: give ${base} or ${key}, not both`);
        continue;
      }
      const text = typeof v === 'string' ? readSecretFile(v) : { error: 'expected the path of a file' };
      if (typeof text === 'string') out[base] = text;
      else {
        problems.push(`${formatPath([...path, key])}: ${text.error}`);
        unresolved.push(formatPath([...path, base]));
      }
    }
    return out;
  };
  return { value: walk(raw, schema, []), problems, unresolved };
}
