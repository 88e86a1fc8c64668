import type { JsonSchemaNode } from './json-schema.js';

/** One key of the reference: where it sits, and whether an environment variable can set it. */
interface KeyRow {
  readonly path: string;
  readonly node: JsonSchemaNode;
  readonly required: boolean;
  /** The KILN_… variable that sets this key; none for keys inside lists and the routing tree. */
  readonly env: string | undefined;
}

const HEADER = `# Configuration reference

<!-- Generated from packages/config/src/schema.ts by \`npm run docs:config\`; edit the schema, not this file. -->

Every Kiln command reads one YAML file (JSON is valid YAML) given with \`--config FILE\`; without one, the defaults
below apply. An unknown key is an error. A mistake is reported with its path
(\`nats.replicas: Too big: expected number to be <=5\`) and the command exits 1. \`deploy/kiln.yaml\` is a commented
example; editors that speak the YAML language server check a file against
[deploy/kiln.schema.json](../deploy/kiln.schema.json), generated from the same schema, through its first line:

\`\`\`yaml
# yaml-language-server: $schema=./kiln.schema.json
\`\`\`

## Environment overrides

Every key that is not inside a list or the routing tree can be set by an environment variable named
\`KILN_<SECTION>_<KEY>\`: \`KILN_\`, then the key's path with \`.\` written \`_\`, in capitals — \`KILN_NATS_URL\`,
\`KILN_DATA_DIR\`, \`KILN_ALERTER_BASIC_AUTH_PASSWORD\`, \`KILN_DETECT_THERMAL_MARGIN_C\`. The variable wins over the
file. Its value is typed by the key: a string key takes the text verbatim (\`#pw\` stays \`#pw\`, \`0123\` stays
\`0123\`); a number, boolean, list or mapping is read as YAML, so \`5000\` is a number, \`true\` a boolean and
\`[10000, 60000]\` a list. A mistake names the variable that set the key. Lists and the routing tree are set whole (\`KILN_NOTIFY\`, \`KILN_ROUTE\`, \`KILN_INHIBIT_RULES\`). Names are matched against the
schema's keys, longest key first, so keys with underscores resolve without ambiguity; \`KILN_\` variables that name no
key are ignored. The environment column below gives each variable.

## Secrets in files

A secret key (passwords, tokens, PagerDuty's routing key, a Slack webhook URL) may instead be given as the path of a
file holding it, as Kubernetes and Docker mount secrets: \`<key>_file\` in the file (\`routing_key_file\`,
\`url_file\`, \`password_file\`), or \`KILN_<SECTION>_<KEY>_FILE\` in the environment
(\`KILN_CLICKHOUSE_PASSWORD_FILE\`). One trailing newline is dropped; a file that cannot be read is an error naming
the key or variable and the path, and a key given together with its \`_file\` is refused.
`;

/** The configuration reference in Markdown, from the configuration's JSON Schema (configJsonSchema). */
export function configReferenceMarkdown(schema: JsonSchemaNode): string {
  const out: string[] = [HEADER];
  const resolve = (node: JsonSchemaNode): JsonSchemaNode => {
    const name = node.$ref?.replace('#/$defs/', '');
    const target = name === undefined ? undefined : schema.$defs?.[name];
    return target ? { ...target, ...withoutRef(node) } : node;
  };

  const section = (
    title: string,
    level: number,
    node: JsonSchemaNode,
    prefix: string,
    envPrefix: string | undefined,
  ): void => {
    out.push(`${'#'.repeat(level)} ${title}\n`);
    if (node.description) out.push(`${node.description}\n`);
    const rows: KeyRow[] = [];
    const nested: Array<() => void> = [];
    const collect = (parent: JsonSchemaNode, keyPrefix: string, parentEnv: string | undefined): void => {
      for (const [key, child] of Object.entries(parent.properties ?? {})) {
        const path = keyPrefix + key;
        const env = parentEnv === undefined ? undefined : `${parentEnv}_${key.toUpperCase()}`;
        // A group that is always there (it has a default) reads as a section; an optional one as rows under its key.
        if (child.properties && child.default !== undefined) {
          nested.push(() => section(`\`${path}\``, Math.min(level + 1, 4), child, `${path}.`, env));
          continue;
        }
        rows.push({ path, node: child, required: parent.required?.includes(key) ?? false, env });
        if (child.properties) collect(child, `${path}.`, env);
        else if (child.items && !child.items.$ref && itemsAreMappings(child.items))
          nested.push(() => list(path, Math.min(level + 1, 4), child));
      }
    };
    collect(node, prefix, envPrefix);
    if (rows.length > 0) out.push(table(rows, envPrefix !== undefined));
    for (const render of nested) render();
  };

  const list = (path: string, level: number, node: JsonSchemaNode): void => {
    const items = node.items ?? {};
    const variants = items.oneOf;
    if (!variants)
      return section(`\`${path}[]\``, level, { ...items, description: node.description }, `${path}[].`, undefined);
    out.push(`${'#'.repeat(level)} \`${path}[]\`\n`);
    if (node.description) out.push(`${node.description} Each entry is one of these, by \`type\`:\n`);
    for (const variant of variants) {
      const type = variant.properties?.['type'];
      section(
        `\`type: ${String(type?.const)}\``,
        Math.min(level + 1, 4),
        { ...variant, description: type?.description },
        `${path}[].`,
        undefined,
      );
    }
  };

  out.push('## Top level\n');
  const topRows: KeyRow[] = Object.entries(schema.properties ?? {})
    .filter(([, node]) => !node.properties)
    .map(([key, node]) => ({ path: key, node, required: false, env: `KILN_${key.toUpperCase()}` }));
  out.push(table(topRows, true));
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    if (node.properties) section(`\`${key}\``, 2, node, `${key}.`, `KILN_${key.toUpperCase()}`);
  }
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    if (node.items && itemsAreMappings(node.items)) list(key, 2, node);
    else if (node.$ref) section(`\`${key}\``, 2, resolve(node), `${key}.`, undefined);
  }
  return out.join('\n');
}

function withoutRef(node: JsonSchemaNode): JsonSchemaNode {
  const { $ref: _ref, ...rest } = node;
  return rest;
}

function itemsAreMappings(items: JsonSchemaNode): boolean {
  return items.properties !== undefined || (items.oneOf?.every((v) => v.properties !== undefined) ?? false);
}

function table(rows: readonly KeyRow[], withEnv: boolean): string {
  const head = withEnv
    ? '| key | type | default | environment | description |\n| --- | --- | --- | --- | --- |'
    : '| key | type | default | description |\n| --- | --- | --- | --- |';
  const lines = rows.map((r) => {
    const cells = [
      `\`${r.path}\``,
      cell(typeOf(r.node)),
      defaultOf(r),
      ...(withEnv ? [r.env ? `\`${r.env}\`` : ''] : []),
      cell(r.node.description ?? ''),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return `${head}\n${lines.join('\n')}\n`;
}

function defaultOf(row: KeyRow): string {
  if (row.node.default !== undefined) {
    const text = `\`${JSON.stringify(row.node.default)}\``;
    const span =
      row.path.endsWith('_ms') && typeof row.node.default === 'number' ? readableMs(row.node.default) : undefined;
    return cell(span ? `${text} (${span})` : text);
  }
  return row.required ? 'required' : '';
}

/** A millisecond default as an operator reads it: 86400000 is 24 h. */
function readableMs(ms: number): string | undefined {
  if (ms === 0) return undefined;
  const units: ReadonlyArray<readonly [number, string]> = [
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size} ${unit}`;
  return undefined;
}

function typeOf(node: JsonSchemaNode): string {
  if (node.$ref) return node.$ref.replace('#/$defs/', '');
  if (node.title) return node.title;
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return alternatives.map(typeOf).join(' or ');
  if (Array.isArray(node.type)) return node.type.join(' or ');
  switch (node.type) {
    case 'array':
      if (node.items && itemsAreMappings(node.items)) return 'list of mappings (below)';
      return `list of ${node.items ? typeOf(node.items) : 'values'}${node.minItems ? ` (at least ${node.minItems})` : ''}`;
    case 'string':
      return node.format === 'uri' ? 'URL' : node.pattern ? `string matching \`${node.pattern}\`` : 'string';
    case 'integer':
    case 'number':
      return `${node.type}${range(node)}`;
    case 'object':
      return 'mapping';
    default:
      return String(node.type ?? 'any');
  }
}

function range(node: JsonSchemaNode): string {
  const bounds: string[] = [];
  if (node.minimum !== undefined) bounds.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) bounds.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined) bounds.push(`≤ ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) bounds.push(`< ${node.exclusiveMaximum}`);
  return bounds.length ? ` ${bounds.join(', ')}` : '';
}

/** Table cells hold no line breaks, and a `|` would end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}
