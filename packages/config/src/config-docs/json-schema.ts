import { z } from 'zod';
import { configSchema } from '../schema.js';

/** A JSON Schema node, as far as the configuration reference reads one. */
export interface JsonSchemaNode {
  readonly type?: string | readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchemaNode;
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchemaNode>>;
}

/**
 * The configuration file's JSON Schema, as an editor checks a kiln.yaml against it: the input a user writes, so keys
 * with defaults are optional. Zod states every integer's bounds; the safe-integer ones say nothing to a reader. A
 * secret key (marked in the schema) may instead be given as `<key>_file`, the path of a file holding it.
 */
export function configJsonSchema(): JsonSchemaNode {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
  addSecretFiles(schema);
  return schema as JsonSchemaNode;
}

type Node = Record<string, unknown>;

/** Beside each property marked secret, its `<key>_file` alternative; neither is required then. */
function addSecretFiles(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  for (const child of Object.values(node as Node)) addSecretFiles(child);
  const properties = (node as Node).properties as Record<string, Node> | undefined;
  if (properties === undefined) return;
  for (const [key, property] of Object.entries(properties)) {
    if (property.secret !== true) continue;
    delete property.secret;
    properties[`${key}_file`] = {
      type: 'string',
      description: `Path of a file holding ${key} (instead of ${key}), e.g. a mounted secret.`,
    };
    const required = (node as Node).required as string[] | undefined;
    if (required?.includes(key)) (node as Node).required = required.filter((k) => k !== key);
  }
}
